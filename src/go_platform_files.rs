//! Which of the standard library's platform-specific files a build reads. The go command picks a
//! package's files for the target platform by their names (`_linux.go`, `_windows_amd64.s`,
//! `_arm64.syso`) before it opens them, so a toolchain installed to build for its own platform
//! alone can leave out the other platforms' files: about a third of the standard library's
//! files, each one less to unpack on every build that compiles.

use libcnb::Env;

/// The operating systems and architectures a file name can name (Go's `internal/syslist`).
const KNOWN_OS: [&str; 18] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];
const KNOWN_ARCH: [&str; 24] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// The kinds of file the go command selects by name alone and no other file includes: Go and
/// assembly sources and prebuilt objects. (C headers are left alone: a C file may include one
/// whatever its name.)
const SELECTED_BY_NAME: [&str; 3] = ["go", "s", "syso"];

/// Whether a build for `os`/`arch` never reads the file called `name`: a Go, assembly or syso
/// file whose name ends in another operating system or architecture, by the go command's own
/// rule (the part before the first `_` does not count; `_test` is skipped; `_linux` also serves
/// android, `_solaris` illumos and `_darwin` ios).
pub(crate) fn is_for_another_platform(name: &str, os: &str, arch: &str) -> bool {
    let (stem, extension) = name.split_once('.').unwrap_or((name, ""));
    if !SELECTED_BY_NAME.contains(&extension.rsplit('.').next().unwrap_or("")) {
        return false;
    }
    let Some((_, tagged)) = stem.split_once('_') else {
        return false;
    };
    let mut words: Vec<&str> = tagged.split('_').collect();
    if words.last() == Some(&"test") {
        words.pop();
    }
    let matches = |word: &str| {
        if KNOWN_OS.contains(&word) {
            word == os
                || (word == "linux" && os == "android")
                || (word == "solaris" && os == "illumos")
                || (word == "darwin" && os == "ios")
        } else {
            word == arch
        }
    };
    match words.as_slice() {
        [.., os_word, arch_word]
            if KNOWN_OS.contains(os_word) && KNOWN_ARCH.contains(arch_word) =>
        {
            !(matches(os_word) && matches(arch_word))
        }
        [.., word] if KNOWN_OS.contains(word) || KNOWN_ARCH.contains(word) => !matches(word),
        _ => false,
    }
}

/// Whether GOOS or GOARCH asks the go command to build for another platform than `os`/`arch`,
/// which needs that platform's files.
pub(crate) fn builds_for_another_platform(env: &Env, os: &str, arch: &str) -> bool {
    [("GOOS", os), ("GOARCH", arch)]
        .into_iter()
        .any(|(name, own)| {
            env.get(name)
                .is_some_and(|value| !value.is_empty() && value != own)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_named_for_another_platform_are_left_out() {
        for other in [
            "zerrors_windows_amd64.go",
            "sys_darwin.go",
            "asm_arm64.s",
            "race_windows_amd64.syso",
            "defs_linux_386.go",
            "os_android.go",
            "zsyscall_openbsd_amd64_test.go",
        ] {
            assert!(is_for_another_platform(other, "linux", "amd64"), "{other}");
        }
        for kept in [
            "zerrors_linux_amd64.go",
            "sys_linux.go",
            "asm_amd64.s",
            "race_linux_amd64.syso",
            "os_unix.go",
            "cpu_x86.go",
            "asm_ppc64x.h",
            "libcgo_windows.h",
            "gcc_windows_amd64.c",
            // Before the first `_`, a name says nothing.
            "windows.go",
            "darwin_stub.go",
            "defs_linux_amd64.go",
            "server.go",
            "Makefile",
        ] {
            assert!(!is_for_another_platform(kept, "linux", "amd64"), "{kept}");
        }
        assert!(!is_for_another_platform("os_linux.go", "android", "arm64"));
        assert!(is_for_another_platform("asm_amd64.s", "linux", "arm64"));
    }

    #[test]
    fn goos_or_goarch_for_another_platform_is_noticed() {
        let mut env = Env::new();
        assert!(!builds_for_another_platform(&env, "linux", "amd64"));
        env.insert("GOOS", "linux");
        env.insert("GOARCH", "");
        assert!(!builds_for_another_platform(&env, "linux", "amd64"));
        env.insert("GOARCH", "arm64");
        assert!(builds_for_another_platform(&env, "linux", "amd64"));
    }
}
