//! HTTPS with the written CA, and Microsoft's MSAL for Python getting a
//! token from the simulator over TLS.

use crate::sim_support;

use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sim_support::*;

fn trusting(pem_path: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(pem_path).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn https_with_the_written_ca() {
    let dir = std::env::temp_dir().join(format!("sim-tls-test-{}", std::process::id()));
    let sim = quiet()
        .tenants(1)
        .alerts_per_tenant(3)
        .tls(true)
        .cert_dir(&dir)
        .start()
        .await
        .unwrap();
    assert_eq!(sim.api_base().scheme(), "https");
    let ca = sim.ca_cert_path().unwrap().to_owned();
    assert!(ca.starts_with(&dir));
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert_eq!(sim.info()["ca_cert"], ca.display().to_string());

    // An ordinary client refuses the certificate...
    assert!(
        client()
            .get(sim.api_base().join("_sim/stats").unwrap())
            .send()
            .await
            .is_err()
    );
    // ...one that trusts the CA gets a token and alerts, at 127.0.0.1 and localhost.
    let tls = trusting(&ca);
    let tenant = sim.tenants()[0].id.clone();
    let form = client_credentials(&sim, sim.client_secret(), MDE_SCOPE);
    let url = sim
        .authority_url()
        .join(&format!("{tenant}/oauth2/v2.0/token"))
        .unwrap();
    let token: Value = tls
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}/api/alerts", sim.local_addr().port());
        let page: Value = tls
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["value"].as_array().unwrap().len(), 3);
    }
    sim.shutdown().await;
    assert!(!ca.exists(), "shutdown removes the CA file");
    let _ = std::fs::remove_dir(&dir);
}

#[tokio::test]
async fn msal_python_gets_a_token_over_tls() {
    let sim = quiet().tenants(2).tls(true).start().await.unwrap();
    let tenant = sim.tenants()[1].id.clone();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/msal_token.py");
    let base = sim.authority_url().to_string();
    let ca = sim.ca_cert_path().unwrap().display().to_string();
    let (client_id, secret) = (sim.client_id().to_owned(), sim.client_secret().to_owned());
    let output = tokio::task::spawn_blocking(move || {
        // requests lets REQUESTS_CA_BUNDLE override MSAL's `verify=`, so
        // point it at the simulator's CA too.
        Command::new("python3")
            .args([script, &base, &tenant, &client_id, &secret, &ca, MDE_SCOPE])
            .env("REQUESTS_CA_BUNDLE", &ca)
            .env_remove("CURL_CA_BUNDLE")
            .output()
    })
    .await
    .unwrap();
    let output = match output {
        Ok(output) => output,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED msal_python_gets_a_token_over_tls: python3 could not run ({e})");
            return;
        }
        Err(e) => panic!("python3 could not run: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(3) {
        assert!(
            std::env::var_os("CI").is_none(),
            "msal is not installed but CI is set (.ci/run installs it): {stdout}"
        );
        eprintln!(
            "SKIPPED msal_python_gets_a_token_over_tls: `import msal` failed; `pip install msal` to run it"
        );
        return;
    }
    assert!(
        output.status.success(),
        "msal script failed:\n{stdout}\n{stderr}"
    );
    let result: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let token = result["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {result}"));
    assert_eq!(result["token_type"], "Bearer");
    assert_eq!(result["cached_on_second_call"], true, "{result}");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["tid"], sim.tenants()[1].id.as_str());
    // The token works on the simulated API.
    let tls = trusting(sim.ca_cert_path().unwrap());
    let reply = tls
        .get(sim.api_base().join("api/alerts?$top=1").unwrap())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}
