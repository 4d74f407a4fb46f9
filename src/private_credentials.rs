//! The files through which the go commands and git get the build's credentials: a netrc, and a
//! git config whose credential helpers answer from one file per `git-credentials` binding. They
//! live in a private temporary directory outside every layer, removed when the build ends.

use crate::git_credentials::GitCredentialSource;
use crate::netrc::NetrcSource;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

const NETRC: &str = ".netrc";
const GIT_CONFIG: &str = "gitconfig";

/// The credential files of one build; the directory and its files are removed when this is
/// dropped (the build ended, or failed).
#[derive(Debug)]
pub(crate) struct CredentialFiles {
    dir: tempfile::TempDir,
    has_netrc: bool,
    has_git: bool,
}

impl CredentialFiles {
    /// Writes the files (mode 0600, in a 0700 directory); `None` when there is nothing to write.
    pub(crate) fn write(
        netrc: &[NetrcSource],
        git: &[GitCredentialSource],
    ) -> std::io::Result<Option<Self>> {
        if netrc.is_empty() && git.is_empty() {
            return Ok(None);
        }
        let dir = tempfile::Builder::new()
            .prefix("go-credentials-")
            .tempdir()?;
        if !netrc.is_empty() {
            let text = netrc.iter().fold(String::new(), |mut text, source| {
                text.push_str(source.text());
                text.push('\n');
                text
            });
            write_private(&dir.path().join(NETRC), &text)?;
        }
        if !git.is_empty() {
            let mut config = String::new();
            for (index, source) in git.iter().enumerate() {
                let answer = dir.path().join(format!("git-credential-{index}"));
                write_private(&answer, &source.credential.helper_answer())?;
                config.push_str(&helper_section(&source.scope, &answer));
            }
            write_private(&dir.path().join(GIT_CONFIG), &config)?;
        }
        Ok(Some(CredentialFiles {
            dir,
            has_netrc: !netrc.is_empty(),
            has_git: !git.is_empty(),
        }))
    }

    /// The netrc (for `NETRC`).
    pub(crate) fn netrc(&self) -> Option<PathBuf> {
        self.has_netrc.then(|| self.dir.path().join(NETRC))
    }

    /// The git config with the credential helpers (for `GIT_CONFIG_GLOBAL`).
    pub(crate) fn git_config(&self) -> Option<PathBuf> {
        self.has_git.then(|| self.dir.path().join(GIT_CONFIG))
    }

    /// The directory, holding the netrc as `.netrc` (for `HOME`, where git looks for one).
    pub(crate) fn home(&self) -> &Path {
        self.dir.path()
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(text.as_bytes())
}

/// A git config section giving URLs under `scope` a helper that answers `get` with the login in
/// `answer`; git runs `!` helpers with sh, the action as the argument.
fn helper_section(scope: &str, answer: &Path) -> String {
    // The paths are the temporary directory's (no quote in them); the scope holds no quote,
    // backslash or control character (git_credential::check_scope).
    let shell = format!(
        "f() {{ if [ \"$1\" = get ]; then cat '{}'; fi; }}; f",
        answer.display()
    );
    let quoted = shell.replace('\\', "\\\\").replace('"', "\\\"");
    format!("[credential \"{scope}\"]\n\thelper = \"!{quoted}\"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git_source(scope: &str, text: &str) -> GitCredentialSource {
        GitCredentialSource {
            name: String::from("the binding `git`"),
            scope: String::from(scope),
            credential: go_cnb_common::git_credential::parse(text).expect("parse"),
        }
    }

    /// `git` on the host with nothing but the build's credential files for configuration, as
    /// the go commands run it.
    fn git_with(files: &CredentialFiles) -> Command {
        let mut git = Command::new("git");
        git.current_dir(files.home())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", files.home())
            .env("GIT_CONFIG_GLOBAL", files.git_config().expect("git config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0");
        git
    }

    /// What `git credential fill` answers for `url` with these files, as go's GOAUTH=git and
    /// git's own fetches ask it.
    fn fill(files: &CredentialFiles, url: &str) -> Option<String> {
        let mut child = git_with(files)
            .args(["credential", "fill"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("git");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("url={url}\n").as_bytes())
            .expect("write");
        let output = child.wait_with_output().expect("git");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    #[test]
    fn git_gets_each_credential_for_its_urls_only() {
        let files = CredentialFiles::write(
            &[],
            &[
                git_source(
                    "https://git.example:8443/team",
                    "username=team-bot\npassword=t3am\n",
                ),
                git_source(
                    "https://modules.example",
                    "username=gopher\npassword=s3cr3t\n",
                ),
            ],
        )
        .expect("write")
        .expect("files");
        assert_eq!(
            fill(
                &files,
                "https://modules.example/example.test/private/@v/list"
            )
            .as_deref(),
            Some("protocol=https\nhost=modules.example\nusername=gopher\npassword=s3cr3t\n")
        );
        assert_eq!(
            fill(&files, "https://git.example:8443/team/repo.git").as_deref(),
            Some("protocol=https\nhost=git.example:8443\nusername=team-bot\npassword=t3am\n")
        );
        // Another host, another port, another path, another protocol: no credential.
        for url in [
            "https://other.example/x",
            "https://git.example/team/repo.git",
            "http://modules.example/x",
        ] {
            assert_eq!(fill(&files, url), None, "{url}");
        }
        assert!(files.netrc().is_none());
    }

    /// [`git_with`] trusting the test server's certificate authority.
    fn git(files: &CredentialFiles, ca_file: &Path, args: &[&str]) -> std::process::Output {
        git_with(files)
            .args(args)
            .env("GIT_SSL_CAINFO", ca_file)
            .output()
            .expect("git")
    }

    /// What go's direct fetches do: git clones a private repository over HTTPS with basic
    /// authentication, its credentials coming from the helper of a `git-credentials` binding.
    #[test]
    fn git_clones_a_private_repository_with_the_bindings_credentials() {
        let site = tempfile::tempdir().expect("tempdir");
        let repo = site.path().join("private.git");
        let run = |args: &[&str], dir: &Path| {
            let status = Command::new("git")
                .args(args)
                .current_dir(dir)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.test")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.test")
                .status()
                .expect("git");
            assert!(status.success(), "git {args:?}");
        };
        let work = site.path().join("work");
        std::fs::create_dir(&work).expect("mkdir");
        run(&["init", "-q", "-b", "main"], &work);
        std::fs::write(work.join("go.mod"), "module example.test/private\n").expect("write");
        run(&["add", "go.mod"], &work);
        run(&["commit", "-q", "-m", "private"], &work);
        run(
            &["clone", "-q", "--bare", "work", "private.git"],
            site.path(),
        );
        // A static server serves git's "dumb" HTTP protocol once the index files exist.
        run(&["update-server-info"], &repo);
        let (server, certificate) =
            e2e_harness::StaticServer::start_private(site.path(), "127.0.0.1", "bot", "t0ken")
                .expect("server");
        let ca_file = site.path().join("ca.pem");
        std::fs::write(&ca_file, certificate).expect("write");
        let url = format!("{}/private.git", server.url());

        let files = CredentialFiles::write(
            &[],
            &[git_source(&server.url(), "username=bot\npassword=t0ken\n")],
        )
        .expect("write")
        .expect("files");
        let clone = files.home().join("clone");
        let output = git(
            &files,
            &ca_file,
            &["clone", "-q", &url, &clone.to_string_lossy()],
        );
        assert!(output.status.success(), "{output:?}");
        assert_eq!(
            std::fs::read_to_string(clone.join("go.mod")).expect("cloned"),
            "module example.test/private\n"
        );

        // Credentials for another path of the server are not offered: git is refused.
        let elsewhere = CredentialFiles::write(
            &[],
            &[git_source(
                &format!("{}/other", server.url()),
                "username=bot\npassword=t0ken\n",
            )],
        )
        .expect("write")
        .expect("files");
        let refused = git(&elsewhere, &ca_file, &["ls-remote", &url]);
        assert!(!refused.status.success(), "{refused:?}");
    }

    #[test]
    fn the_files_are_private_and_gone_with_the_build() {
        let netrc = crate::netrc::NetrcSource::for_test(
            "GO_NETRC",
            "machine a.example login u password p1",
        );
        let files = CredentialFiles::write(
            std::slice::from_ref(&netrc),
            &[git_source(
                "https://git.example",
                "username=u\npassword=p2\n",
            )],
        )
        .expect("write")
        .expect("files");
        let netrc_path = files.netrc().expect("netrc");
        assert!(std::fs::read_to_string(&netrc_path)
            .expect("read")
            .contains("password p1"));
        let home = files.home().to_path_buf();
        for entry in std::fs::read_dir(&home).expect("dir") {
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &entry
                    .expect("entry")
                    .metadata()
                    .expect("meta")
                    .permissions(),
            );
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(files);
        assert!(!home.exists(), "the credentials outlived the build");
        assert!(CredentialFiles::write(&[], &[]).expect("write").is_none());
    }
}
