//! The in-process integration tests, one binary: each module is one former
//! `tests/<name>.rs`, and the helpers they share are modules too. Tests that
//! start the example programs are in `tests/cli`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod net;
mod sim_support;
mod sink_support;
mod support;

mod auth_cache;
mod auth_consent;
mod auth_debug;
mod auth_tokens;
mod auth_troubleshooting;
mod checkpoint_store;
mod client_paging;
mod client_query;
mod client_retry;
mod client_simulator;
mod config_file;
mod email_smtp;
mod format_encoders;
mod forwarder_chaos;
mod forwarder_delivery;
mod forwarder_quarantine;
mod forwarder_simulator;
mod forwarder_sink_outage;
mod forwarder_tenant_pin;
mod fuzz_regressions;
mod models_hard_cases;
mod proptest_checkpoint;
mod proptest_escaping;
mod proptest_page_readers;
mod real_fixtures;
mod security_config;
mod security_files;
mod security_limits;
mod security_redirects;
mod security_scrubber;
mod security_secrets;
mod security_server_numbers;
mod security_tenant_tokens;
mod security_tls;
mod simulator_api;
mod simulator_entra;
mod simulator_faults;
mod simulator_graph;
mod simulator_scale;
mod simulator_tls;
mod sink_core;
mod sink_sentinel;
mod sink_splunk_hec;
mod sink_syslog_loopback;
mod syslog_rsyslog;
mod transport_proxy;
