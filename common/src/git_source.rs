//! What an app's `.git` directory says about its source, read from the files themselves (the
//! build image may have no git): the commit checked out and the public address of the `origin`
//! remote. Both become OCI labels of the image. The files come with the app, so every parser
//! here takes untrusted text and answers `None` for anything it does not understand.

/// What `.git/HEAD` holds: a detached commit or the name of a branch's ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitHead {
    Commit(String),
    Ref(String),
}

/// A git object name: 40 (SHA-1) or 64 (SHA-256) lower-case hexadecimal digits.
#[must_use]
pub fn is_object_name(text: &str) -> bool {
    matches!(text.len(), 40 | 64)
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// Reads `.git/HEAD`: `ref: refs/heads/main` or a commit. A ref must stay under `refs/` and
/// never climb out (`..`), since it becomes a path under `.git`.
#[must_use]
pub fn parse_head(text: &str) -> Option<GitHead> {
    let text = text.trim_end_matches(['\n', '\r']);
    if let Some(name) = text.strip_prefix("ref:") {
        let name = name.trim();
        let safe = name.starts_with("refs/")
            && name
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
            && !name.contains(['\\', '\0', ' ', '\n']);
        return safe.then(|| GitHead::Ref(name.to_string()));
    }
    is_object_name(text).then(|| GitHead::Commit(text.to_string()))
}

/// The commit a ref points at in a ref file (`.git/refs/heads/main`).
#[must_use]
pub fn parse_ref_file(text: &str) -> Option<String> {
    let text = text.trim_end_matches(['\n', '\r']);
    is_object_name(text).then(|| text.to_string())
}

/// The commit of `name` in `.git/packed-refs` (lines `<commit> <ref>`; `#` and `^` lines are
/// headers and peeled tags).
#[must_use]
pub fn packed_ref(text: &str, name: &str) -> Option<String> {
    text.lines()
        .filter(|line| !line.starts_with(['#', '^']))
        .filter_map(|line| line.split_once(' '))
        .find(|(_, ref_name)| *ref_name == name)
        .and_then(|(commit, _)| is_object_name(commit).then(|| commit.to_string()))
}

/// The `url` of `[remote "<remote>"]` in `.git/config`.
#[must_use]
pub fn remote_url(config: &str, remote: &str) -> Option<String> {
    let wanted = format!("[remote \"{remote}\"]");
    let mut in_section = false;
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == wanted;
        } else if in_section {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim().eq_ignore_ascii_case("url") {
                    let value = value.trim().trim_matches('"');
                    return (!value.is_empty()).then(|| value.to_string());
                }
            }
        }
    }
    None
}

/// The address a person can browse for a remote's URL: `https://host/path` without user,
/// password, port or a `.git` suffix; `git@host:owner/repo.git` and `ssh://` become https too.
/// Local paths, `file://` and anything else are `None`: no address to give.
#[must_use]
pub fn public_source_url(url: &str) -> Option<String> {
    let (host_part, path) = if let Some(rest) = ["https://", "http://", "ssh://", "git://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
    {
        rest.split_once('/')?
    } else {
        // scp-like syntax, `user@host:path`; a `:` after a `/` makes it a local path instead.
        let (host_part, path) = url.split_once(':')?;
        if host_part.contains('/') || !host_part.contains('@') {
            return None;
        }
        (host_part, path)
    };
    // Whatever precedes the last `@` is a user name and perhaps a password or a token.
    let host = host_part.rsplit('@').next()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    let valid_host = host.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    });
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let valid_path = !path.is_empty()
        && path.split('/').all(|part| !part.is_empty() && part != "..")
        && path.bytes().all(|byte| {
            byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'-' | b'_' | b'.' | b'~')
        });
    (valid_host && valid_path).then(|| format!("https://{host}/{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn head_is_a_branch_or_a_detached_commit() {
        assert_eq!(
            parse_head("ref: refs/heads/main\n"),
            Some(GitHead::Ref("refs/heads/main".into()))
        );
        assert_eq!(
            parse_head(&format!("{COMMIT}\n")),
            Some(GitHead::Commit(COMMIT.into()))
        );
        let sha256 = "ab".repeat(32);
        assert_eq!(parse_head(&sha256), Some(GitHead::Commit(sha256.clone())));
        for bad in [
            "ref: refs/../../etc/passwd",
            "ref: /etc/passwd",
            "ref: refs/heads//x",
            "ref: HEAD",
            "0123",
            &COMMIT.to_uppercase(),
            "",
        ] {
            assert_eq!(parse_head(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn refs_come_from_their_file_or_packed_refs() {
        assert_eq!(parse_ref_file(&format!("{COMMIT}\n")), Some(COMMIT.into()));
        assert_eq!(parse_ref_file("garbage\n"), None);
        let packed = format!(
            "# pack-refs with: peeled fully-peeled sorted\n{COMMIT} refs/heads/main\n^{COMMIT}\n{} refs/tags/v1\n",
            "f".repeat(40)
        );
        assert_eq!(packed_ref(&packed, "refs/heads/main"), Some(COMMIT.into()));
        assert_eq!(packed_ref(&packed, "refs/tags/v1"), Some("f".repeat(40)));
        assert_eq!(packed_ref(&packed, "refs/heads/other"), None);
    }

    #[test]
    fn the_origin_url_is_read_from_its_section() {
        let config = "[core]\n\turl = nope\n[remote \"upstream\"]\n\turl = https://example.test/up.git\n[remote \"origin\"]\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n\turl = git@github.com:acme/shop.git\n[branch \"main\"]\n\tremote = origin\n";
        assert_eq!(
            remote_url(config, "origin").as_deref(),
            Some("git@github.com:acme/shop.git")
        );
        assert_eq!(remote_url("[core]\n", "origin"), None);
    }

    #[test]
    fn public_urls_carry_no_credentials() {
        for (url, public) in [
            (
                "https://github.com/acme/shop.git",
                Some("https://github.com/acme/shop"),
            ),
            (
                "https://x-access-token:ghp_secret@github.com/acme/shop",
                Some("https://github.com/acme/shop"),
            ),
            (
                "git@github.com:acme/shop.git",
                Some("https://github.com/acme/shop"),
            ),
            (
                "ssh://git@gitlab.example.test:2222/group/sub/app.git",
                Some("https://gitlab.example.test/group/sub/app"),
            ),
            ("/srv/git/shop.git", None),
            ("file:///srv/git/shop.git", None),
            ("../shop", None),
            ("host:path", None),
            ("https://github.com/acme/../x", None),
            ("https://github.com/acme/shop?token=secret", None),
            ("https://", None),
            ("@..:git", None),
            ("git@host..test:acme/shop", None),
        ] {
            assert_eq!(public_source_url(url).as_deref(), public, "{url}");
        }
    }
}
