//! A small static file server (on an address the caller picks: the Docker bridge's, for
//! builds in containers) that records what it was asked for, and a plain
//! HTTP client: enough for a toolchain mirror, a GOPROXY and talking to launched apps.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct StaticServer {
    host: String,
    port: u16,
    scheme: &'static str,
    requests: Arc<Mutex<Vec<String>>>,
    faults: Arc<Mutex<Vec<ScheduledFault>>>,
}

/// A way for the server to fail a request, as unreliable networks and servers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and no body.
    Status(u16),
    /// Announce the whole file but send only its first half, then close the connection.
    CutShort,
    /// Announce the whole file and send it a byte a second, as a mirror on a failing link.
    Trickle,
}

#[derive(Debug, Clone)]
struct ScheduledFault {
    path_prefix: String,
    fault: Fault,
    remaining: usize,
}

impl StaticServer {
    /// Serves the files under `root` on `host` (an IP address of this machine) until the
    /// process exits.
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start(root: &Path, host: &str) -> std::io::Result<Self> {
        Self::start_with(root, host, None, None)
    }

    /// Serves the files under `root` over HTTPS to clients that send `login`:`password` by
    /// basic authentication (every other request gets 401), as a private module server does.
    /// Returns the server and the PEM of its self-signed certificate (for `host`), which
    /// clients must trust (`SSL_CERT_FILE` for the go command).
    ///
    /// # Errors
    /// When no port can be bound or no certificate made.
    pub fn start_private(
        root: &Path,
        host: &str,
        login: &str,
        password: &str,
    ) -> std::io::Result<(Self, String)> {
        let certified = rcgen::generate_simple_self_signed(vec![host.to_string()])
            .map_err(std::io::Error::other)?;
        let key =
            rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key.into())
        .map_err(std::io::Error::other)?;
        let expected = format!("Basic {}", base64(format!("{login}:{password}").as_bytes()));
        let server = Self::start_with(root, host, Some(Arc::new(config)), Some(expected))?;
        Ok((server, certified.cert.pem()))
    }

    fn start_with(
        root: &Path,
        host: &str,
        tls: Option<Arc<rustls::ServerConfig>>,
        authorization: Option<String>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((host, 0))?;
        let port = listener.local_addr()?.port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let requests = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let site = Arc::new(Site {
            root: root.to_path_buf(),
            log: Arc::clone(&requests),
            faults: Arc::clone(&faults),
            authorization,
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let site = Arc::clone(&site);
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = match tls {
                        Some(config) => rustls::ServerConnection::new(config)
                            .map_err(std::io::Error::other)
                            .and_then(|connection| {
                                site.serve(rustls::StreamOwned::new(connection, stream))
                            }),
                        None => site.serve(stream),
                    };
                });
            }
        });
        Ok(StaticServer {
            host: host.to_string(),
            port,
            scheme,
            requests,
            faults,
        })
    }

    /// Fails the next `times` requests whose path starts with `path_prefix` with `fault`;
    /// faults scheduled earlier are served first.
    pub fn fail_next(&self, path_prefix: &str, fault: Fault, times: usize) {
        if let Ok(mut faults) = self.faults.lock() {
            faults.push(ScheduledFault {
                path_prefix: path_prefix.to_string(),
                fault,
                remaining: times,
            });
        }
    }

    #[must_use]
    pub fn url(&self) -> String {
        format!("{}://{}:{}", self.scheme, self.host, self.port)
    }

    /// Every path requested so far, in order.
    #[must_use]
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        if let Ok(mut requests) = self.requests.lock() {
            requests.clear();
        }
    }
}

fn take_fault(faults: &Mutex<Vec<ScheduledFault>>, path: &str) -> Option<Fault> {
    let mut faults = faults.lock().ok()?;
    let scheduled = faults
        .iter_mut()
        .find(|f| f.remaining > 0 && path.starts_with(&f.path_prefix))?;
    scheduled.remaining -= 1;
    Some(scheduled.fault)
}

/// What one server serves, shared by its connections.
struct Site {
    root: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    faults: Arc<Mutex<Vec<ScheduledFault>>>,
    /// The `Authorization` header every request must carry, when the site is private.
    authorization: Option<String>,
}

impl Site {
    fn serve(&self, stream: impl Read + Write) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        let mut authorization = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("authorization") {
                    authorization = Some(value.trim().to_string());
                }
            }
        }
        let stream = reader.get_mut();
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts
            .next()
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_string();
        if let Ok(mut log) = self.log.lock() {
            log.push(path.clone());
        }
        if self.authorization.is_some() && authorization != self.authorization {
            stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"modules\"\r\nContent-Length: 13\r\nConnection: close\r\n\r\nunauthorized\n")?;
            return stream.flush();
        }
        let relative = PathBuf::from(percent_decoded(path.trim_start_matches('/')));
        let file = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
            .then(|| self.root.join(&relative))
            .filter(|p| p.is_file());
        match (file, take_fault(&self.faults, &path)) {
            (_, Some(Fault::Status(code))) => {
                write!(
                    stream,
                    "HTTP/1.1 {code} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )?;
            }
            (Some(file), Some(Fault::CutShort)) => {
                let length = std::fs::metadata(&file)?.len();
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
                )?;
                std::io::copy(&mut std::fs::File::open(file)?.take(length / 2), stream)?;
            }
            (Some(file), Some(Fault::Trickle)) => {
                let length = std::fs::metadata(&file)?.len();
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
                )?;
                for byte in BufReader::new(std::fs::File::open(file)?).bytes() {
                    stream.write_all(&[byte?])?;
                    stream.flush()?;
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            (Some(file), None) => {
                let length = std::fs::metadata(&file)?.len();
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
                )?;
                if method != "HEAD" {
                    std::io::copy(&mut std::fs::File::open(file)?, stream)?;
                }
            }
            (None, _) => {
                stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n")?;
            }
        }
        stream.flush()
    }
}

/// Standard base64 with padding (for a basic authentication header).
/// `path` with its `%XX` escapes decoded, as clients send some characters (the go command sends
/// the `!` of a module path with capitals as `%21`); a malformed escape stays as it is.
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            decoded.push(byte);
            at += 3;
        } else {
            decoded.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (index, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A response from `http_get`.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// GET `http://127.0.0.1:<port><path>`.
///
/// # Errors
/// When the connection fails or the answer is not HTTP.
pub fn http_get(port: u16, path: &str) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {head}")))?;
    Ok(Response {
        status,
        body: body.to_string(),
    })
}

/// Polls until the app on `port` answers `path`, or `timeout` passes.
///
/// # Errors
/// The last connection error when the deadline passes.
pub fn wait_for_http(port: u16, path: &str, timeout: Duration) -> std::io::Result<Response> {
    let deadline = Instant::now() + timeout;
    loop {
        match http_get(port, path) {
            Ok(response) => return Ok(response),
            Err(error) if Instant::now() >= deadline => return Err(error),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A port that was free a moment ago.
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    #[test]
    fn base64_matches_the_basic_authentication_example() {
        // RFC 7617, section 2.
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn escaped_paths_are_served_from_the_files_they_name() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("github.com/!burnt!sushi/toml/@v");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("v1.6.0.mod"),
            "module github.com/BurntSushi/toml\n",
        )
        .expect("write");
        let server = StaticServer::start(root.path(), "127.0.0.1").expect("start");
        let response = http_get(
            server.port,
            "/github.com/%21burnt%21sushi/toml/@v/v1.6.0.mod",
        )
        .expect("get");
        assert_eq!(response.status, 200);
        assert_eq!(percent_decoded("a%2"), "a%2");
        assert_eq!(percent_decoded("%zz%41"), "%zzA");
    }

    #[test]
    fn a_private_server_answers_401_without_the_credentials() {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::write(root.path().join("file"), "content").expect("write");
        let (server, pem) =
            StaticServer::start_private(root.path(), "127.0.0.1", "gopher", "pw").expect("start");
        assert!(server.url().starts_with("https://127.0.0.1:"));
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        let tls_get = |authorization: Option<&str>| {
            let mut roots = rustls::RootCertStore::empty();
            let der =
                rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).expect("pem");
            roots.add(der).expect("root");
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
            let connection =
                rustls::ClientConnection::new(Arc::new(config), name).expect("connection");
            let port = server.port;
            let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            let mut tls = rustls::StreamOwned::new(connection, tcp);
            let header =
                authorization.map_or(String::new(), |value| format!("Authorization: {value}\r\n"));
            write!(tls, "GET /file HTTP/1.1\r\nHost: x\r\n{header}\r\n").expect("request");
            let mut response = String::new();
            let _ = tls.read_to_string(&mut response);
            response
        };
        assert!(tls_get(None).starts_with("HTTP/1.1 401 "));
        assert!(tls_get(Some("Basic Z29waGVyOndyb25n")).starts_with("HTTP/1.1 401 "));
        let answer = tls_get(Some(&format!("Basic {}", base64(b"gopher:pw"))));
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.ends_with("content"), "{answer}");
    }
}
