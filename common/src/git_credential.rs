//! The git-credential format (`key=value` lines, as `git credential` reads and writes them) of
//! a `git-credentials` service binding, and the URL its credentials are for. The text holds a
//! password: no error and no `Debug` output ever shows a value of it.

/// One credential: the URL it is for (when the text names one) and the login.
#[derive(Clone, PartialEq, Eq)]
pub struct GitCredential {
    /// `protocol://host/path` from `protocol`, `host` and `path` (or `url`), if a host is named.
    scope: Option<String>,
    username: String,
    password: String,
}

impl std::fmt::Debug for GitCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitCredential")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// What is wrong with a credential text; never holds a value of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitCredentialError {
    #[error("line {line} is not `key=value`")]
    NotKeyValue { line: usize },
    #[error("line {line} holds a NUL byte")]
    Nul { line: usize },
    #[error("it has no `{key}=` line")]
    Missing { key: &'static str },
    #[error("its URL (`url=`, or `protocol=` and `host=`) is not one git can match: {problem}")]
    BadUrl { problem: &'static str },
}

impl GitCredential {
    /// The URL the text says the credential is for, if it names a host.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// What a credential helper answers git with: the login only, so that git keeps the
    /// protocol, host and path of the URL it asked about.
    #[must_use]
    pub fn helper_answer(&self) -> String {
        format!("username={}\npassword={}\n", self.username, self.password)
    }
}

/// Reads a credential in git-credential format. Empty lines are skipped; for a key given twice
/// the last wins, as with git; keys other than `protocol`, `host`, `path`, `url`, `username`
/// and `password` are ignored. A `url=` line stands for the parts it holds.
///
/// # Errors
/// A line that is not `key=value` or holds a NUL, a missing `username` or `password`, or a URL
/// that cannot be a credential's scope.
pub fn parse(text: &str) -> Result<GitCredential, GitCredentialError> {
    let mut protocol = None;
    let mut host = None;
    let mut path = None;
    let mut username = None;
    let mut password = None;
    for (index, line) in text.split('\n').enumerate() {
        let line_number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if line.contains('\0') {
            return Err(GitCredentialError::Nul { line: line_number });
        }
        let Some((key, value)) = line.split_once('=').filter(|(key, _)| !key.is_empty()) else {
            return Err(GitCredentialError::NotKeyValue { line: line_number });
        };
        let value = value.to_string();
        match key {
            "protocol" => protocol = Some(value),
            "host" => host = Some(value),
            "path" => path = Some(value),
            "username" => username = Some(value),
            "password" => password = Some(value),
            "url" => {
                let parts = split_url(&value)?;
                protocol = Some(parts.protocol);
                host = Some(parts.host);
                path = parts.path;
                if let Some(user) = parts.username {
                    username = Some(user);
                }
                if let Some(secret) = parts.password {
                    password = Some(secret);
                }
            }
            _ => {}
        }
    }
    let scope = match host {
        Some(host) => {
            let protocol = protocol.unwrap_or_else(|| String::from("https"));
            let url = match path.as_deref().map(|path| path.trim_start_matches('/')) {
                Some(path) if !path.is_empty() => format!("{protocol}://{host}/{path}"),
                _ => format!("{protocol}://{host}"),
            };
            Some(check_scope(&url)?)
        }
        None => None,
    };
    Ok(GitCredential {
        scope,
        username: username.ok_or(GitCredentialError::Missing { key: "username" })?,
        password: password.ok_or(GitCredentialError::Missing { key: "password" })?,
    })
}

struct UrlParts {
    protocol: String,
    host: String,
    path: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// `protocol://[user[:password]@]host[/path]`, the user and password percent-decoded as git does.
fn split_url(url: &str) -> Result<UrlParts, GitCredentialError> {
    let (protocol, rest) = url.split_once("://").ok_or(GitCredentialError::BadUrl {
        problem: "it has no `protocol://`",
    })?;
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority, Some(path.to_string())),
        None => (rest, None),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if userinfo.is_some_and(|userinfo| percent_decode(userinfo).contains(char::is_control)) {
        return Err(GitCredentialError::BadUrl {
            problem: "its user or password holds a control character",
        });
    }
    let (username, password) = match userinfo {
        Some(userinfo) => match userinfo.split_once(':') {
            Some((user, secret)) => (Some(percent_decode(user)), Some(percent_decode(secret))),
            None => (Some(percent_decode(userinfo)), None),
        },
        None => (None, None),
    };
    Ok(UrlParts {
        protocol: protocol.to_string(),
        host: host.to_string(),
        path,
        username,
        password,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|byte| char::from(*byte).to_digit(16))
        };
        match (bytes[index], hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                // Two hexadecimal digits make one byte.
                out.push(u8::try_from(high * 16 + low).unwrap_or_default());
                index += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a URL that credentials are given for (a binding's `context`, or the one the
/// credential names) and returns it without a trailing `/`: `protocol://host[:port][/path]`,
/// with no user or password, and nothing that cannot stand in a git config section name.
///
/// # Errors
/// When the URL is not of that shape.
pub fn check_scope(url: &str) -> Result<String, GitCredentialError> {
    let url = url.trim().trim_end_matches('/');
    if url.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        return Err(GitCredentialError::BadUrl {
            problem: "it holds a quote, a backslash or a control character",
        });
    }
    let (protocol, rest) = url.split_once("://").ok_or(GitCredentialError::BadUrl {
        problem: "it has no `protocol://`",
    })?;
    if protocol.is_empty()
        || !protocol
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.'))
    {
        return Err(GitCredentialError::BadUrl {
            problem: "its protocol is not a URL scheme",
        });
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(GitCredentialError::BadUrl {
            problem: "it names no host",
        });
    }
    if host.contains('@') {
        return Err(GitCredentialError::BadUrl {
            problem: "it holds a user name or password (put those in `username=` and `password=`)",
        });
    }
    if rest.contains(char::is_whitespace) || rest.contains(['?', '#']) {
        return Err(GitCredentialError::BadUrl {
            problem: "it holds a space, a query or a fragment",
        });
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_and_the_url_it_is_for_are_read_as_git_writes_them() {
        let credential =
            parse("protocol=https\nhost=git.example:8443\nusername=gopher\npassword=s3cr3t\n")
                .expect("parse");
        assert_eq!(credential.scope(), Some("https://git.example:8443"));
        assert_eq!(
            credential.helper_answer(),
            "username=gopher\npassword=s3cr3t\n"
        );

        let credential =
            parse("host=git.example\r\npath=/team/\r\n\r\nusername=u\r\npassword=a=b\r\nquit=1")
                .expect("parse");
        assert_eq!(credential.scope(), Some("https://git.example/team"));
        assert_eq!(credential.helper_answer(), "username=u\npassword=a=b\n");

        let credential = parse("username=u\npassword=p").expect("parse");
        assert_eq!(credential.scope(), None);
    }

    #[test]
    fn a_url_line_gives_its_parts_with_the_login_percent_decoded() {
        let credential =
            parse("url=https://bot%40corp:p%3Ass@git.example/team/repo.git").expect("parse");
        assert_eq!(
            credential.scope(),
            Some("https://git.example/team/repo.git")
        );
        assert_eq!(
            credential.helper_answer(),
            "username=bot@corp\npassword=p:ss\n"
        );
        // Lines after it win.
        let credential =
            parse("url=https://u@git.example\npassword=later\nusername=other").expect("parse");
        assert_eq!(
            credential.helper_answer(),
            "username=other\npassword=later\n"
        );
    }

    #[test]
    fn errors_name_the_line_or_the_key_and_never_a_value() {
        let secret = "s3cr3t-value";
        let cases = [
            (
                format!("username=u\n{secret}\n"),
                GitCredentialError::NotKeyValue { line: 2 },
            ),
            (
                format!("={secret}"),
                GitCredentialError::NotKeyValue { line: 1 },
            ),
            (
                format!("password={secret}\0"),
                GitCredentialError::Nul { line: 1 },
            ),
            (
                format!("password={secret}"),
                GitCredentialError::Missing { key: "username" },
            ),
            (
                String::from("username=u"),
                GitCredentialError::Missing { key: "password" },
            ),
            (
                format!("host=a b\nusername=u\npassword={secret}"),
                GitCredentialError::BadUrl {
                    problem: "it holds a space, a query or a fragment",
                },
            ),
            (
                format!("url=https://u:{secret}%0Ahost=evil@git.example"),
                GitCredentialError::BadUrl {
                    problem: "its user or password holds a control character",
                },
            ),
            (
                format!("url=git.example\nusername=u\npassword={secret}"),
                GitCredentialError::BadUrl {
                    problem: "it has no `protocol://`",
                },
            ),
        ];
        for (text, expected) in cases {
            let error = parse(&text).expect_err(&text);
            assert_eq!(error, expected);
            assert!(!error.to_string().contains(secret));
        }
        let debug = format!("{:?}", parse(&format!("username=u\npassword={secret}")));
        assert!(!debug.contains(secret), "{debug}");
    }

    #[test]
    fn a_scope_is_a_url_without_login_or_anything_a_git_config_cannot_hold() {
        assert_eq!(
            check_scope(" https://git.example/team/ \n").as_deref(),
            Ok("https://git.example/team")
        );
        for bad in [
            "git.example",
            "https://",
            "https:///path",
            "https://u:p@git.example",
            "https://git.example/\"x",
            "https://git.example/a\\b",
            "https://git.example/a\nb",
            "ht tp://git.example",
            "https://git.example/?token=x",
        ] {
            assert!(check_scope(bad).is_err(), "{bad}");
        }
    }
}
