//! A real SMTP server started by a test: Python's aiosmtpd storing what it
//! receives in a Maildir (plain, or STARTTLS with a given certificate).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An aiosmtpd process, killed on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd is missing; .ci/run installs it with pip"
        );
        eprintln!("skipping: python3 -m pip install aiosmtpd to run this test");
    }
    ok
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start(tls: Option<(&Path, &Path)>) -> SmtpServer {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")]);
    if let Some((cert, key)) = tls {
        cmd.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
    }
    cmd.args(["-c", "aiosmtpd.handlers.Mailbox"]).arg(&maildir);
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = SmtpServer {
        child,
        port,
        maildir,
        _dir: dir,
    };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not start on port {port}");
}

/// Undoes quoted-printable body encoding (soft line breaks and `=XX`).
pub fn decode_qp(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every message the server stored, as text (bodies decoded).
pub fn received(server: &SmtpServer) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(server.maildir.join(sub)) {
            for e in entries {
                out.push(decode_qp(
                    &std::fs::read_to_string(e.unwrap().path()).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

pub fn header<'a>(message: &'a str, name: &str) -> Vec<&'a str> {
    message
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix(&format!("{name}: ")))
        .collect()
}
