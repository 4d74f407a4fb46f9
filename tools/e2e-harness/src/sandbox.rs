//! A builder or run container without a container engine: a directory becomes `/` for one
//! process, in a mount namespace of its own, with the machine's `/usr` lent read-only (the
//! distribution userland a base image would bring) and nothing else of the host visible but
//! what is bound in. The process can run as an unprivileged user, as builder images do.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The unprivileged user of builder and run images (`cnb`, uid and gid 1000).
pub const CNB_USER: (u32, u32) = (1000, 1000);

/// PATH as a builder image sets it: no host Go (`/usr/local` is hidden as well).
pub const BUILDER_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone)]
enum Mount {
    Bind {
        source: PathBuf,
        target: String,
        read_only: bool,
    },
    /// An empty tmpfs that hides what is below it.
    Mask { target: String },
}

#[derive(Debug, Clone)]
pub struct Sandbox {
    root: PathBuf,
    mounts: Vec<Mount>,
}

fn to_cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

fn check(result: libc::c_int) -> io::Result<()> {
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl Sandbox {
    /// A sandbox whose `/` is `root`, with the host's system directories lent to it: `/usr`
    /// and `/etc` read-only (with `/etc/passwd` and `/etc/group` of the sandbox's own, naming
    /// the cnb user), `/dev`, `/proc` and `/sys`, and `/usr/local` (where the host keeps its
    /// Go) hidden.
    ///
    /// # Errors
    /// When the mount points cannot be created under `root`.
    pub fn with_host_system(root: &Path) -> io::Result<Self> {
        let sandbox = Sandbox {
            root: root.to_path_buf(),
            mounts: Vec::new(),
        };
        for dir in ["usr", "etc", "dev", "proc", "sys", "tmp"] {
            std::fs::create_dir_all(root.join(dir))?;
        }
        std::fs::set_permissions(
            root.join("tmp"),
            std::os::unix::fs::PermissionsExt::from_mode(0o1777),
        )?;
        for (link, target) in [
            ("bin", "usr/bin"),
            ("sbin", "usr/sbin"),
            ("lib", "usr/lib"),
            ("lib64", "usr/lib64"),
        ] {
            let link = root.join(link);
            if link.symlink_metadata().is_err() && Path::new("/").join(target).exists() {
                std::os::unix::fs::symlink(target, link)?;
            }
        }
        let accounts = root.join(".sandbox-accounts");
        std::fs::create_dir_all(&accounts)?;
        std::fs::write(
            accounts.join("passwd"),
            "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        )?;
        std::fs::write(
            accounts.join("group"),
            "root:x:0:\ncnb:x:1000:\nnogroup:x:65534:\n",
        )?;
        Ok(sandbox
            .bind_read_only(Path::new("/usr"), "/usr")
            .mask("/usr/local")
            .bind_read_only(Path::new("/etc"), "/etc")
            .bind_read_only(&accounts.join("passwd"), "/etc/passwd")
            .bind_read_only(&accounts.join("group"), "/etc/group")
            .bind(Path::new("/dev"), "/dev")
            .bind(Path::new("/proc"), "/proc")
            .bind(Path::new("/sys"), "/sys"))
    }

    /// Binds the host's `source` at `target` inside (the mount point must exist under root).
    #[must_use]
    pub fn bind(mut self, source: &Path, target: &str) -> Self {
        self.mounts.push(Mount::Bind {
            source: source.to_path_buf(),
            target: target.to_string(),
            read_only: false,
        });
        self
    }

    #[must_use]
    pub fn bind_read_only(mut self, source: &Path, target: &str) -> Self {
        self.mounts.push(Mount::Bind {
            source: source.to_path_buf(),
            target: target.to_string(),
            read_only: true,
        });
        self
    }

    #[must_use]
    pub fn mask(mut self, target: &str) -> Self {
        self.mounts.push(Mount::Mask {
            target: target.to_string(),
        });
        self
    }

    /// The host path of `inside` (a path inside the sandbox that no mount covers).
    #[must_use]
    pub fn host_path(&self, inside: &str) -> PathBuf {
        self.root.join(inside.trim_start_matches('/'))
    }

    /// A command that runs `program` (a path inside the sandbox) in `working_dir` (inside), as
    /// `user` (uid, gid) or as root. The caller sets its environment and stdio.
    ///
    /// # Errors
    /// When a path holds a NUL byte.
    pub fn command(
        &self,
        program: &str,
        working_dir: &str,
        user: Option<(u32, u32)>,
    ) -> io::Result<Command> {
        // Everything the child needs is prepared here: between fork and exec only system
        // calls run (the test process has many threads; allocating there could deadlock).
        let mut prepared = Vec::new();
        for mount in &self.mounts {
            prepared.push(match mount {
                Mount::Bind {
                    source,
                    target,
                    read_only,
                } => (
                    Some(to_cstring(source.as_os_str().as_bytes())?),
                    to_cstring(self.host_path(target).as_os_str().as_bytes())?,
                    *read_only,
                ),
                Mount::Mask { target } => (
                    None,
                    to_cstring(self.host_path(target).as_os_str().as_bytes())?,
                    false,
                ),
            });
        }
        let root = to_cstring(self.root.as_os_str().as_bytes())?;
        let working_dir = to_cstring(working_dir.as_bytes())?;
        let mut command = Command::new(program);
        // SAFETY: the closure only makes system calls on data prepared before the fork.
        unsafe {
            command.pre_exec(move || {
                check(libc::unshare(libc::CLONE_NEWNS))?;
                check(libc::mount(
                    c"none".as_ptr(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ))?;
                for (source, target, read_only) in &prepared {
                    if let Some(source) = source {
                        check(libc::mount(
                            source.as_ptr(),
                            target.as_ptr(),
                            std::ptr::null(),
                            libc::MS_BIND | libc::MS_REC,
                            std::ptr::null(),
                        ))?;
                        if *read_only {
                            check(libc::mount(
                                std::ptr::null(),
                                target.as_ptr(),
                                std::ptr::null(),
                                libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                                std::ptr::null(),
                            ))?;
                        }
                    } else {
                        check(libc::mount(
                            c"tmpfs".as_ptr(),
                            target.as_ptr(),
                            c"tmpfs".as_ptr(),
                            libc::MS_NOSUID | libc::MS_NODEV,
                            c"mode=0755".as_ptr().cast(),
                        ))?;
                    }
                }
                check(libc::chroot(root.as_ptr()))?;
                check(libc::chdir(working_dir.as_ptr()))?;
                if let Some((uid, gid)) = user {
                    check(libc::setgroups(0, std::ptr::null()))?;
                    check(libc::setgid(gid))?;
                    check(libc::setuid(uid))?;
                }
                Ok(())
            });
        }
        Ok(command)
    }
}

/// `chown -R uid:gid path`, for directories the cnb user must own.
///
/// # Errors
/// When chown fails.
pub fn chown_tree(path: &Path, (uid, gid): (u32, u32)) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if path.symlink_metadata()?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), (uid, gid))?;
        }
    }
    Ok(())
}
