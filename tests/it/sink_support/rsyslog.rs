//! A real rsyslog started by a test: its own configuration, a loopback TCP
//! (or TLS) input, and an output file with one tab-separated line per
//! message (`pri hostname app-name msgid structured-data msg`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::certs::TestPki;

pub struct Rsyslog {
    child: Child,
    pub port: u16,
    pub out: PathBuf,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn rsyslogd() -> Option<PathBuf> {
    for dir in ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"] {
        let p = Path::new(dir).join("rsyslogd");
        if p.exists() {
            return Some(p);
        }
    }
    None
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start(bin: &Path, dir: &Path, tls: Option<&TestPki>) -> Rsyslog {
    let port = free_port();
    let out = dir.join("out.log");
    let mut global = format!(r#"workDirectory="{}" maxMessageSize="2m""#, dir.display());
    let mut module = r#"module(load="imtcp")"#.to_owned();
    if let Some(pki) = tls {
        for (name, pem) in [
            ("ca.pem", &pki.ca_pem),
            ("cert.pem", &pki.server_cert_pem),
            ("key.pem", &pki.server_key_pem),
        ] {
            std::fs::write(dir.join(name), pem).unwrap();
        }
        global.push_str(&format!(
            r#" defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="{0}/ca.pem" defaultNetstreamDriverCertFile="{0}/cert.pem" defaultNetstreamDriverKeyFile="{0}/key.pem""#,
            dir.display()
        ));
        module = r#"module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")"#.to_owned();
    }
    let conf = format!(
        "global({global})\n{module}\ninput(type=\"imtcp\" port=\"{port}\" address=\"127.0.0.1\" maxFrameSize=\"2000000\")\n\
         template(name=\"fields\" type=\"string\" string=\"%pri%\\t%hostname%\\t%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n\")\n\
         action(type=\"omfile\" file=\"{}\" template=\"fields\")\n",
        out.display()
    );
    let conf_path = dir.join("rsyslog.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(bin)
        .arg("-n")
        .arg("-f")
        .arg(&conf_path)
        .arg("-i")
        .arg(dir.join("rsyslog.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Rsyslog { child, port, out };
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "rsyslog did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

pub fn wait_for_lines(out: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The rsyslogd binary, or `None` with a skip note; with `CI` set a
/// missing rsyslogd fails the test instead.
pub fn require_rsyslog() -> Option<PathBuf> {
    let found = rsyslogd();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "rsyslogd is missing but CI is set: install rsyslog and rsyslog-gnutls"
        );
        eprintln!("SKIPPED: rsyslogd not found (apt-get install rsyslog rsyslog-gnutls)");
    }
    found
}
