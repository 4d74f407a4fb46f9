//! What a failed go command's output says about why it failed: a module server that wants
//! credentials, or a network fault (an untrusted certificate, a failed DNS lookup, a refused or
//! dropped connection, a timeout, a module proxy's error status), so that such failures are
//! named as what they are and not blamed on the app. The go command and git word them
//! differently; both are recognised.

/// A network fault, and the host it concerned (`None` when the output names none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NetworkFault {
    pub(crate) kind: NetworkFaultKind,
    pub(crate) host: Option<String>,
    /// The line of the output that shows it, trimmed.
    pub(crate) evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NetworkFaultKind {
    /// TLS: the certificate is signed by an unknown authority, expired, or for another host.
    Certificate,
    /// The host name could not be looked up.
    Dns,
    /// The connection was refused, reset, or the host unreachable.
    Connection,
    /// The host did not answer in time.
    Timeout,
    /// A module proxy answered with an error status (`404 Not Found`, `502 Bad Gateway`).
    ProxyStatus(String),
}

/// Why a go command failed, as far as its output tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GoFailure {
    /// A module server or git refused for lack of credentials (HTTP 401/403, a git prompt).
    Credentials,
    Network(NetworkFault),
    /// Anything else: the app's code or go.mod, most likely.
    Other,
}

const CREDENTIALS: &[&str] = &[
    "401 Unauthorized",
    "403 Forbidden",
    "terminal prompts disabled",
    "could not read Username",
    "Authentication failed",
];
const CERTIFICATE: &[&str] = &[
    "x509: ",
    "tls: failed to verify certificate",
    "SSL certificate problem",
    "server certificate verification failed",
];
const DNS: &[&str] = &[
    "no such host",
    "dial tcp: lookup ",
    "Could not resolve host",
    "Temporary failure in name resolution",
    "server misbehaving",
];
const CONNECTION: &[&str] = &[
    "connection refused",
    "Connection refused",
    "connection reset by peer",
    "Connection reset by peer",
    "network is unreachable",
    "no route to host",
    "No route to host",
    "Failed to connect to",
];
const TIMEOUT: &[&str] = &[
    "i/o timeout",
    "TLS handshake timeout",
    "Client.Timeout exceeded",
    "context deadline exceeded",
    "timed out",
];
/// Statuses by which a module proxy (or the checksum database) says it failed or lacks the
/// module; 401 and 403 are credentials.
const PROXY_STATUSES: &[&str] = &[
    "404 Not Found",
    "410 Gone",
    "429 Too Many Requests",
    "500 Internal Server Error",
    "502 Bad Gateway",
    "503 Service Unavailable",
    "504 Gateway Timeout",
];

/// Makes the kind of fault from the marker found.
type KindOf = fn(&str) -> NetworkFaultKind;

/// Classifies a failed go command by its output (stdout and stderr together).
pub(crate) fn classify(output: &str) -> GoFailure {
    if CREDENTIALS.iter().any(|marker| output.contains(marker)) {
        return GoFailure::Credentials;
    }
    // In this order: a DNS lookup that timed out is a DNS fault, not a timeout.
    let kinds: [(&[&str], KindOf); 5] = [
        (CERTIFICATE, |_| NetworkFaultKind::Certificate),
        (DNS, |_| NetworkFaultKind::Dns),
        (CONNECTION, |_| NetworkFaultKind::Connection),
        (TIMEOUT, |_| NetworkFaultKind::Timeout),
        (PROXY_STATUSES, |status| {
            NetworkFaultKind::ProxyStatus(status.to_string())
        }),
    ];
    for (markers, kind) in kinds {
        for line in output.lines() {
            if let Some(marker) = markers.iter().find(|marker| line.contains(*marker)) {
                return GoFailure::Network(NetworkFault {
                    kind: kind(marker),
                    host: host_in(line),
                    evidence: crate::download::redact_url(line.trim()),
                });
            }
        }
    }
    GoFailure::Other
}

/// The host a line of go or git output is about: of its first URL (with any user and password
/// left out), else of a DNS lookup or a dial, else of git's "resolve host"/"connect to".
fn host_in(line: &str) -> Option<String> {
    let end_of_host = |text: &str| {
        text.find(|c: char| matches!(c, '/' | '"' | '\'' | '`' | ')') || c.is_whitespace())
            .unwrap_or(text.len())
    };
    for scheme in ["https://", "http://"] {
        if let Some(start) = line.find(scheme) {
            let rest = &line[start + scheme.len()..];
            let authority = &rest[..end_of_host(rest)];
            let host = authority.rsplit('@').next().unwrap_or(authority);
            return Some(host.to_string()).filter(|host| !host.is_empty());
        }
    }
    for marker in [
        "lookup ",
        "dial tcp ",
        "Could not resolve host: ",
        "Failed to connect to ",
    ] {
        if let Some(start) = line.find(marker) {
            let rest = &line[start + marker.len()..];
            let host = rest[..end_of_host(rest)].trim_end_matches([':', ',']);
            if !host.is_empty() {
                return Some(host.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(output: &str) -> (NetworkFaultKind, Option<String>) {
        match classify(output) {
            GoFailure::Network(fault) => (fault.kind, fault.host),
            other => panic!("{output:?} classified as {other:?}"),
        }
    }

    #[allow(clippy::unnecessary_wraps, reason = "compared with an Option")]
    fn host(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    #[test]
    fn certificate_failures_of_go_and_git() {
        assert_eq!(
            network("go: example.test/m@v1.0.0: Get \"https://proxy.corp.test/example.test/m/@v/v1.0.0.mod\": tls: failed to verify certificate: x509: certificate signed by unknown authority\n"),
            (NetworkFaultKind::Certificate, host("proxy.corp.test"))
        );
        assert_eq!(
            network("fatal: unable to access 'https://git.corp.test/repo/': SSL certificate problem: unable to get local issuer certificate\n"),
            (NetworkFaultKind::Certificate, host("git.corp.test"))
        );
    }

    #[test]
    fn dns_failures_including_a_lookup_that_timed_out() {
        assert_eq!(
            network("go: example.test/m@v1.0.0: Get \"https://proxy.golang.org/example.test/m/@v/v1.0.0.mod\": dial tcp: lookup proxy.golang.org on 10.0.0.2:53: read udp 10.0.0.5:41000->10.0.0.2:53: i/o timeout\n"),
            (NetworkFaultKind::Dns, host("proxy.golang.org"))
        );
        assert_eq!(
            network("go: module lookup: dial tcp: lookup goproxy.internal: no such host\n"),
            (NetworkFaultKind::Dns, host("goproxy.internal"))
        );
        assert_eq!(
            network("fatal: unable to access: Could not resolve host: git.corp.test\n"),
            (NetworkFaultKind::Dns, host("git.corp.test"))
        );
    }

    #[test]
    fn refused_and_reset_connections() {
        assert_eq!(
            network("go: example.test/m@v1.0.0: Get \"http://user:secret@172.17.0.1:9/example.test/m/@v/list\": dial tcp 172.17.0.1:9: connect: connection refused\n"),
            (NetworkFaultKind::Connection, host("172.17.0.1:9"))
        );
        assert_eq!(
            network("go: reading: read tcp 10.0.0.5:40000->10.1.1.1:443: read: connection reset by peer\n"),
            (NetworkFaultKind::Connection, None)
        );
    }

    #[test]
    fn timeouts() {
        assert_eq!(
            network("go: example.test/m@v1.0.0: Get \"https://proxy.test/m/@v/list\": net/http: TLS handshake timeout\n"),
            (NetworkFaultKind::Timeout, host("proxy.test"))
        );
        assert_eq!(
            network("go: dial tcp 10.9.9.9:443: i/o timeout\n"),
            (NetworkFaultKind::Timeout, host("10.9.9.9:443"))
        );
    }

    #[test]
    fn proxy_error_statuses() {
        assert_eq!(
            network("go: example.test/m@v1.9.9: reading https://proxy.test/example.test/m/@v/v1.9.9.mod: 404 Not Found\n\tserver response: not found\n"),
            (
                NetworkFaultKind::ProxyStatus(String::from("404 Not Found")),
                host("proxy.test")
            )
        );
        assert_eq!(
            network("verifying example.test/m@v1.0.0: reading https://sum.golang.org/lookup/example.test/m@v1.0.0: 502 Bad Gateway\n"),
            (
                NetworkFaultKind::ProxyStatus(String::from("502 Bad Gateway")),
                host("sum.golang.org")
            )
        );
    }

    #[test]
    fn credentials_come_first_and_the_app_is_blamed_only_otherwise() {
        assert_eq!(
            classify("reading https://proxy.test/x/@v/list: 403 Forbidden\n"),
            GoFailure::Credentials
        );
        assert_eq!(
            classify(
                "main.go:3:1: syntax error: non-declaration statement outside function body\n"
            ),
            GoFailure::Other
        );
    }

    #[test]
    fn neither_host_nor_evidence_carries_credentials() {
        assert_eq!(
            host_in("Get \"https://bot:token@goproxy.corp.test:8443/x\": EOF"),
            host("goproxy.corp.test:8443")
        );
        let GoFailure::Network(fault) = classify(
            "Get \"https://bot:token@goproxy.corp.test/x\": dial tcp 10.0.0.1:443: connect: connection refused (http://a:b@c.test)",
        ) else {
            panic!("a network fault")
        };
        assert_eq!(
            fault.evidence,
            "Get \"https://[redacted]@goproxy.corp.test/x\": dial tcp 10.0.0.1:443: connect: connection refused (http://[redacted]@c.test)"
        );
    }
}
