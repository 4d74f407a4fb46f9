//! HTTP downloads: every byte is hashed as it arrives, and nothing is used before the checksum
//! matches. Connections, stalls and the whole download have time limits; transient failures
//! (network errors, timeouts, truncated bodies, HTTP 5xx, 429 and 408) are retried with a
//! growing delay, permanent ones (other HTTP errors, a checksum mismatch) are not. URLs are
//! printed without their credentials.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// How downloads wait and retry. The defaults suit a normal network; each can be raised (see
/// the README) for slow ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DownloadPolicy {
    /// Longest wait to establish a connection (TCP and TLS): `GO_DOWNLOAD_CONNECT_TIMEOUT`.
    pub(crate) connect_timeout: Duration,
    /// Longest wait for the next bytes once connected: `GO_DOWNLOAD_STALL_TIMEOUT`.
    pub(crate) stall_timeout: Duration,
    /// Longest time for the whole download, retries included: `GO_DOWNLOAD_DEADLINE`.
    pub(crate) deadline: Duration,
    /// How many times a transient failure is tried in all: `GO_DOWNLOAD_ATTEMPTS`.
    pub(crate) attempts: u32,
    /// The wait before the first retry, doubled before each later one.
    pub(crate) first_retry_delay: Duration,
    /// The slowest transfer an attempt may keep up, in bytes per second, measured over each
    /// `speed_window`: `GO_DOWNLOAD_MIN_SPEED`. A trickle never trips the stall timeout.
    pub(crate) min_speed: u32,
    pub(crate) speed_window: Duration,
    /// How long `go install`, which downloads the modules, may make no progress:
    /// `GO_COMMAND_STALL_TIMEOUT`.
    pub(crate) go_stall_timeout: Duration,
}

impl Default for DownloadPolicy {
    fn default() -> Self {
        DownloadPolicy {
            connect_timeout: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(30),
            deadline: Duration::from_mins(10),
            attempts: 4,
            first_retry_delay: Duration::from_secs(1),
            // Four attempts of 20 s each, with the waits between them, end within two minutes.
            min_speed: 1024,
            speed_window: Duration::from_secs(20),
            go_stall_timeout: Duration::from_mins(2),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DownloadError {
    #[error("request to {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error("the download from {url} was cut short: received {received} of {expected} bytes")]
    Truncated {
        url: String,
        received: u64,
        expected: u64,
    },
    #[error("could not write the download from {url}: {source}")]
    Write { url: String, source: std::io::Error },
    #[error("checksum mismatch for {url}: expected sha256:{expected}, got sha256:{actual}")]
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{attempts} attempts failed; the last one: {last}")]
    AttemptsExhausted {
        attempts: u32,
        last: Box<DownloadError>,
    },
    #[error("gave up on {url} after {seconds}s (GO_DOWNLOAD_DEADLINE); the last attempt: {last}")]
    DeadlineExceeded {
        url: String,
        seconds: u64,
        last: Box<DownloadError>,
    },
}

/// A failed attempt, and whether trying again can help.
struct AttemptFailure {
    error: DownloadError,
    transient: bool,
}

impl AttemptFailure {
    fn transient(error: DownloadError) -> Self {
        AttemptFailure {
            error,
            transient: true,
        }
    }

    fn permanent(error: DownloadError) -> Self {
        AttemptFailure {
            error,
            transient: false,
        }
    }
}

/// What the caller is told of an attempt that failed and will be retried.
pub(crate) struct RetryNotice<'a> {
    pub(crate) attempt: u32,
    pub(crate) attempts: u32,
    pub(crate) error: &'a DownloadError,
    pub(crate) delay: Duration,
}

impl std::fmt::Display for RetryNotice<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "attempt {} of {} failed: {}; retrying in {}",
            self.attempt,
            self.attempts,
            self.error,
            format_delay(self.delay)
        )
    }
}

fn format_delay(delay: Duration) -> String {
    if delay.subsec_millis() == 0 {
        format!("{}s", delay.as_secs())
    } else {
        format!("{}ms", delay.as_millis())
    }
}

/// Replaces the user-info part of a URL (`https://user:token@host/…`) so it is never printed or
/// stored.
pub(crate) fn redact_url(text: &str) -> String {
    // Works on lists too (GOPROXY's `,` and `|`): each URL's user-info part is replaced.
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| matches!(c, '/' | ',' | '|' | '?' | '#') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("[redacted]");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

fn timeout_reason(timeout: ureq::Timeout, policy: &DownloadPolicy) -> String {
    match timeout {
        ureq::Timeout::Connect | ureq::Timeout::Resolve => format!(
            "no connection within {}s (GO_DOWNLOAD_CONNECT_TIMEOUT)",
            policy.connect_timeout.as_secs()
        ),
        ureq::Timeout::PerRead => format!(
            "no data for {}s (GO_DOWNLOAD_STALL_TIMEOUT)",
            policy.stall_timeout.as_secs()
        ),
        ureq::Timeout::Global => {
            String::from("the download deadline passed (GO_DOWNLOAD_DEADLINE)")
        }
        other => format!("timed out ({other})"),
    }
}

/// One request, classified: server errors, rate limits and network failures are transient;
/// other HTTP statuses (404, 403, …) and malformed URLs are not.
fn call(
    url: &str,
    policy: &DownloadPolicy,
    remaining: Duration,
) -> Result<ureq::http::Response<ureq::Body>, AttemptFailure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(policy.connect_timeout))
        .timeout_per_read(Some(policy.stall_timeout))
        .timeout_global(Some(remaining))
        .build()
        .into();
    agent.get(url).call().map_err(|error| {
        let request = |reason: String| DownloadError::Request {
            url: redact_url(url),
            reason,
        };
        match error {
            ureq::Error::StatusCode(code) => {
                let error = request(format!("the server answered HTTP {code}"));
                if code >= 500 || code == 429 || code == 408 {
                    AttemptFailure::transient(error)
                } else {
                    AttemptFailure::permanent(error)
                }
            }
            ureq::Error::Timeout(timeout) => {
                AttemptFailure::transient(request(timeout_reason(timeout, policy)))
            }
            ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_)
            | ureq::Error::Tls(_) => AttemptFailure::transient(request(error.to_string())),
            other => AttemptFailure::permanent(request(other.to_string())),
        }
    })
}

/// The bytes received since a window began, to find a transfer slower than the floor.
struct SpeedWindow {
    min_speed: u64,
    length: Duration,
    started: Instant,
    bytes: u64,
}

impl SpeedWindow {
    fn new(policy: &DownloadPolicy) -> Self {
        SpeedWindow {
            min_speed: u64::from(policy.min_speed),
            length: policy.speed_window,
            started: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts `bytes` more; when a whole window has passed, says why it was too slow, or
    /// begins the next window.
    fn too_slow(&mut self, bytes: u64) -> Option<String> {
        self.bytes += bytes;
        let elapsed = self.started.elapsed();
        if elapsed < self.length {
            return None;
        }
        let speed = self.bytes * 1000
            / u64::try_from(elapsed.as_millis())
                .unwrap_or(u64::MAX)
                .max(1);
        if speed < self.min_speed {
            return Some(format!(
                "too slow: {} bytes in {}s ({speed} bytes/s, below the {} bytes/s of GO_DOWNLOAD_MIN_SPEED)",
                self.bytes,
                elapsed.as_secs(),
                self.min_speed
            ));
        }
        self.started = Instant::now();
        self.bytes = 0;
        None
    }
}

/// Streams the body of `url` into `sink`, hashing it. A body shorter than its announced length,
/// however it ends, is a truncated download.
fn read_body(
    url: &str,
    policy: &DownloadPolicy,
    remaining: Duration,
    sink: &mut dyn Write,
    hasher: &mut Sha256,
) -> Result<(), AttemptFailure> {
    let response = call(url, policy, remaining)?;
    let expected = response.body().content_length();
    let mut reader = response.into_body().into_reader();
    let mut buffer = vec![0; 256 * 1024];
    let mut received: u64 = 0;
    let mut window = SpeedWindow::new(policy);
    let truncated = |received| {
        expected
            .filter(|expected| received < *expected)
            .map(|expected| {
                AttemptFailure::transient(DownloadError::Truncated {
                    url: redact_url(url),
                    received,
                    expected,
                })
            })
    };
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(read) => read,
            Err(error) => {
                let reason = match error
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                {
                    Some(ureq::Error::Timeout(timeout)) => timeout_reason(*timeout, policy),
                    _ => error.to_string(),
                };
                return Err(truncated(received).unwrap_or_else(|| {
                    AttemptFailure::transient(DownloadError::Request {
                        url: redact_url(url),
                        reason,
                    })
                }));
            }
        };
        if read == 0 {
            break;
        }
        received += read as u64;
        if let Some(reason) = window.too_slow(read as u64) {
            return Err(AttemptFailure::transient(DownloadError::Request {
                url: redact_url(url),
                reason,
            }));
        }
        hasher.update(&buffer[..read]);
        sink.write_all(&buffer[..read]).map_err(|source| {
            AttemptFailure::permanent(DownloadError::Write {
                url: redact_url(url),
                source,
            })
        })?;
    }
    truncated(received).map_or(Ok(()), Err)
}

/// Runs `attempt` until it succeeds, fails permanently, the attempts are used up or the
/// deadline passes, waiting longer before each retry and telling `on_retry` about it.
fn with_retries<T>(
    url: &str,
    policy: &DownloadPolicy,
    on_retry: &mut dyn FnMut(&RetryNotice<'_>),
    mut attempt: impl FnMut(Duration) -> Result<T, AttemptFailure>,
) -> Result<T, DownloadError> {
    let started = Instant::now();
    let attempts = policy.attempts.max(1);
    let mut delay = policy.first_retry_delay;
    let mut number = 1;
    loop {
        let remaining = policy.deadline.saturating_sub(started.elapsed());
        let failure = match attempt(remaining) {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        if !failure.transient {
            return Err(failure.error);
        }
        if number >= attempts {
            return Err(if number == 1 {
                failure.error
            } else {
                DownloadError::AttemptsExhausted {
                    attempts: number,
                    last: Box::new(failure.error),
                }
            });
        }
        if started.elapsed() + delay >= policy.deadline {
            return Err(DownloadError::DeadlineExceeded {
                url: redact_url(url),
                seconds: policy.deadline.as_secs(),
                last: Box::new(failure.error),
            });
        }
        on_retry(&RetryNotice {
            attempt: number,
            attempts,
            error: &failure.error,
            delay,
        });
        std::thread::sleep(delay);
        delay = delay.saturating_mul(2);
        number += 1;
    }
}

/// Fetches a small text file (an inventory), retrying transient failures.
pub(crate) fn fetch_text(
    url: &str,
    policy: &DownloadPolicy,
    on_retry: &mut dyn FnMut(&RetryNotice<'_>),
) -> Result<String, DownloadError> {
    let bytes = with_retries(url, policy, on_retry, |remaining| {
        let mut bytes = Vec::new();
        read_body(url, policy, remaining, &mut bytes, &mut Sha256::new())?;
        Ok(bytes)
    })?;
    String::from_utf8(bytes).map_err(|error| DownloadError::Request {
        url: redact_url(url),
        reason: format!("the answer is not UTF-8 text: {error}"),
    })
}

/// Streams `url` into `destination`, hashing on the way, retrying transient failures (each
/// attempt starts the file and the hash afresh). On any failure the file is removed, so no
/// part of an unverified download is ever read.
pub(crate) fn download_verified(
    url: &str,
    destination: &Path,
    expected_sha256: &[u8],
    policy: &DownloadPolicy,
    on_retry: &mut dyn FnMut(&RetryNotice<'_>),
) -> Result<(), DownloadError> {
    let shown_url = redact_url(url);
    let result = with_retries(url, policy, on_retry, |remaining| {
        let write_error = |source| {
            AttemptFailure::permanent(DownloadError::Write {
                url: shown_url.clone(),
                source,
            })
        };
        let mut writer = BufWriter::new(File::create(destination).map_err(write_error)?);
        let mut hasher = Sha256::new();
        read_body(url, policy, remaining, &mut writer, &mut hasher)?;
        writer.flush().map_err(write_error)?;
        let actual = hasher.finalize();
        if actual.as_slice() == expected_sha256 {
            Ok(())
        } else {
            // Not retried: the same server would send the same bytes.
            Err(AttemptFailure::permanent(DownloadError::ChecksumMismatch {
                url: shown_url.clone(),
                expected: go_cnb_common::hex(expected_sha256),
                actual: go_cnb_common::hex(&actual),
            }))
        }
    });
    if result.is_err() {
        let _ = std::fs::remove_file(destination);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// What the test server does with one request.
    #[derive(Clone)]
    enum Answer {
        Status(u16),
        Body(Vec<u8>),
        /// Announces `announced` bytes, sends `sent`, and closes the connection.
        CutShort {
            announced: usize,
            sent: Vec<u8>,
        },
        /// Announces a body, sends a few bytes, then sends nothing more for a long time.
        Stall,
        /// Closes the connection without answering.
        Close,
        /// Announces a body and sends it a byte every 50 ms.
        Trickle,
    }

    /// Serves `script` in order, one answer a request (the last one repeats); returns the URL
    /// and the number of requests so far.
    fn serve(script: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://user:s3cret@{}/go.tar.gz",
            listener.local_addr().expect("addr")
        );
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let number = counter.fetch_add(1, Ordering::SeqCst);
                let answer = script[number.min(script.len() - 1)].clone();
                std::thread::spawn(move || {
                    let mut reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                        line.clear();
                    }
                    let head = |length: usize, status: &str| {
                        format!("HTTP/1.1 {status}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n")
                    };
                    let _ = match answer {
                        Answer::Status(code) => {
                            stream.write_all(head(0, &format!("{code} Status")).as_bytes())
                        }
                        Answer::Body(body) => stream
                            .write_all(head(body.len(), "200 OK").as_bytes())
                            .and_then(|()| stream.write_all(&body)),
                        Answer::CutShort { announced, sent } => stream
                            .write_all(head(announced, "200 OK").as_bytes())
                            .and_then(|()| stream.write_all(&sent)),
                        Answer::Stall => {
                            let _ = stream.write_all(head(1000, "200 OK").as_bytes());
                            let _ = stream.write_all(b"go");
                            std::thread::sleep(Duration::from_secs(8));
                            Ok(())
                        }
                        Answer::Close => Ok(()),
                        Answer::Trickle => {
                            let _ = stream.write_all(head(1000, "200 OK").as_bytes());
                            for _ in 0..1000 {
                                if stream.write_all(b"g").is_err() {
                                    break;
                                }
                                std::thread::sleep(Duration::from_millis(50));
                            }
                            Ok(())
                        }
                    };
                });
            }
        });
        (url, requests)
    }

    fn quick_policy() -> DownloadPolicy {
        DownloadPolicy {
            connect_timeout: Duration::from_secs(2),
            stall_timeout: Duration::from_secs(1),
            deadline: Duration::from_secs(20),
            attempts: 3,
            first_retry_delay: Duration::from_millis(10),
            min_speed: 1,
            speed_window: Duration::from_secs(20),
            go_stall_timeout: Duration::from_mins(2),
        }
    }

    const BODY: &[u8] = b"the go distribution";

    /// Downloads from `script`; returns the result, the file's contents if it is left, the
    /// retry lines and the number of requests.
    fn download(
        script: Vec<Answer>,
        policy: &DownloadPolicy,
    ) -> (
        Result<(), DownloadError>,
        Option<Vec<u8>>,
        Vec<String>,
        usize,
    ) {
        let (url, requests) = serve(script);
        let dir = tempfile::tempdir().expect("tempdir");
        let destination = dir.path().join("go.tar.gz");
        let mut retries = Vec::new();
        let result = download_verified(
            &url,
            &destination,
            &Sha256::digest(BODY),
            policy,
            &mut |notice| retries.push(notice.to_string()),
        );
        let contents = std::fs::read(&destination).ok();
        (result, contents, retries, requests.load(Ordering::SeqCst))
    }

    #[test]
    fn a_server_error_is_retried_and_the_download_completes() {
        let (result, contents, retries, requests) = download(
            vec![Answer::Status(503), Answer::Body(BODY.to_vec())],
            &quick_policy(),
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(contents.as_deref(), Some(BODY));
        assert_eq!(retries.len(), 1, "{retries:?}");
        assert!(
            retries[0]
                .starts_with("attempt 1 of 3 failed: request to http://[redacted]@127.0.0.1:")
                && retries[0]
                    .ends_with("/go.tar.gz failed: the server answered HTTP 503; retrying in 10ms"),
            "{retries:?}"
        );
        assert_eq!(requests, 2);
    }

    #[test]
    fn a_dropped_connection_and_a_rate_limit_are_retried() {
        let (result, contents, retries, requests) = download(
            vec![
                Answer::Close,
                Answer::Status(429),
                Answer::Body(BODY.to_vec()),
            ],
            &quick_policy(),
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(contents.as_deref(), Some(BODY));
        assert_eq!(retries.len(), 2, "{retries:?}");
        assert!(retries[1].contains("HTTP 429"), "{retries:?}");
        assert_eq!(requests, 3);
    }

    #[test]
    fn not_found_is_not_retried() {
        let (result, contents, retries, requests) =
            download(vec![Answer::Status(404)], &quick_policy());
        let error = result.expect_err("404");
        assert!(
            error
                .to_string()
                .ends_with("failed: the server answered HTTP 404"),
            "{error}"
        );
        assert!(!error.to_string().contains("s3cret"));
        assert_eq!((contents, retries.len(), requests), (None, 0, 1));
    }

    #[test]
    fn a_cut_short_body_is_a_truncated_download_retried_with_a_fresh_hash() {
        let cut = Answer::CutShort {
            announced: BODY.len(),
            sent: BODY[..5].to_vec(),
        };
        // Once cut short, then whole: the second attempt starts the file and hash afresh.
        let (result, contents, retries, requests) = download(
            vec![cut.clone(), Answer::Body(BODY.to_vec())],
            &quick_policy(),
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(contents.as_deref(), Some(BODY));
        assert!(
            retries[0].contains("was cut short: received 5 of 19 bytes"),
            "{retries:?}"
        );
        assert_eq!(requests, 2);

        // Always cut short: reported as truncated, not as a checksum mismatch; nothing is left.
        let (result, contents, retries, requests) = download(vec![cut], &quick_policy());
        let error = result.expect_err("truncated");
        assert!(
            matches!(&error, DownloadError::AttemptsExhausted { attempts: 3, last } if matches!(**last, DownloadError::Truncated { received: 5, expected: 19, .. })),
            "{error:?}"
        );
        assert_eq!((contents, retries.len(), requests), (None, 2, 3));
    }

    #[test]
    fn a_stalled_download_times_out_and_is_retried() {
        let (result, contents, retries, requests) = download(
            vec![Answer::Stall, Answer::Body(BODY.to_vec())],
            &quick_policy(),
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(contents.as_deref(), Some(BODY));
        assert!(
            retries[0].contains("no data for 1s (GO_DOWNLOAD_STALL_TIMEOUT)")
                || retries[0].contains("received 2 of 1000 bytes"),
            "{retries:?}"
        );
        assert_eq!(requests, 2);
    }

    #[test]
    fn a_trickle_below_the_speed_floor_is_abandoned_and_retried() {
        let policy = DownloadPolicy {
            min_speed: 100,
            speed_window: Duration::from_millis(500),
            ..quick_policy()
        };
        let started = Instant::now();
        let (result, contents, retries, requests) =
            download(vec![Answer::Trickle, Answer::Body(BODY.to_vec())], &policy);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(contents.as_deref(), Some(BODY));
        assert_eq!(requests, 2);
        assert!(
            retries[0].contains("/go.tar.gz failed: too slow: ")
                && retries[0].contains(
                    " bytes/s, below the 100 bytes/s of GO_DOWNLOAD_MIN_SPEED); retrying in 10ms"
                ),
            "{retries:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );

        // Always a trickle: every attempt is abandoned, and nothing is left.
        let (result, contents, _, requests) = download(vec![Answer::Trickle], &policy);
        let error = result.expect_err("too slow");
        assert!(error.to_string().contains("too slow"), "{error}");
        assert_eq!((contents, requests), (None, 3));
    }

    #[test]
    fn the_deadline_bounds_the_whole_download() {
        let policy = DownloadPolicy {
            stall_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(1),
            ..quick_policy()
        };
        let started = Instant::now();
        let (result, contents, _, _) = download(vec![Answer::Stall], &policy);
        let error = result.expect_err("deadline");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(
            error.to_string().contains("GO_DOWNLOAD_DEADLINE"),
            "{error}"
        );
        assert_eq!(contents, None);
    }

    #[test]
    fn a_checksum_mismatch_is_not_retried() {
        let (result, contents, retries, requests) = download(
            vec![Answer::Body(b"something else".to_vec())],
            &quick_policy(),
        );
        assert!(
            matches!(result, Err(DownloadError::ChecksumMismatch { .. })),
            "{result:?}"
        );
        assert_eq!((contents, retries.len(), requests), (None, 0, 1));
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact_url("https://user:s3cret@mirror.example/go/"),
            "https://[redacted]@mirror.example/go/"
        );
        assert_eq!(redact_url("https://go.dev/dl/a@b"), "https://go.dev/dl/a@b");
        assert_eq!(redact_url("/srv/inventory.toml"), "/srv/inventory.toml");
    }
}
