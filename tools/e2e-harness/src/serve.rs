//! A small static file server on 127.0.0.1 that records what it was asked for, and a plain
//! HTTP client: enough for a toolchain mirror, a GOPROXY and talking to launched apps.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct StaticServer {
    port: u16,
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
}

#[derive(Debug, Clone)]
struct ScheduledFault {
    path_prefix: String,
    fault: Fault,
    remaining: usize,
}

impl StaticServer {
    /// Serves the files under `root` until the process exits.
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start(root: &Path) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let root = root.to_path_buf();
        let log = Arc::clone(&requests);
        let scheduled = Arc::clone(&faults);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                let log = Arc::clone(&log);
                let scheduled = Arc::clone(&scheduled);
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &root, &log, &scheduled);
                });
            }
        });
        Ok(StaticServer {
            port,
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
        format!("http://127.0.0.1:{}", self.port)
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

fn serve_one(
    mut stream: TcpStream,
    root: &Path,
    log: &Mutex<Vec<String>>,
    faults: &Mutex<Vec<ScheduledFault>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Headers are read and ignored.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts
        .next()
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    if let Ok(mut log) = log.lock() {
        log.push(path.clone());
    }
    let relative = PathBuf::from(path.trim_start_matches('/'));
    let file = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| root.join(&relative))
        .filter(|p| p.is_file());
    match (file, take_fault(faults, &path)) {
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
            std::io::copy(
                &mut std::fs::File::open(file)?.take(length / 2),
                &mut stream,
            )?;
        }
        (Some(file), None) => {
            let length = std::fs::metadata(&file)?.len();
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            )?;
            if method != "HEAD" {
                std::io::copy(&mut std::fs::File::open(file)?, &mut stream)?;
            }
        }
        (None, _) => {
            stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n")?;
        }
    }
    stream.flush()
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
