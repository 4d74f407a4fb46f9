#!/usr/bin/env bash
# Packages the buildpack for one architecture as a release publishes it:
#   tools/release/package.sh <amd64|arm64> [OUT_DIR]     (OUT_DIR defaults to dist/)
# - the buildpack directory, made by `cargo libcnb package` under packaged/<target>/release/;
# - OUT_DIR/gocnb-go-linux-<arch>.tgz, that directory as an archive;
# - OUT_DIR/gocnb-go-linux-<arch>.cnb, the buildpack package (`pack buildpack package`).
# .github/workflows/release.yml runs it on a runner of each architecture; .ci/run runs it for
# both here (arm64 cross-compiled with Debian's aarch64 gcc), so the release path is tested.
set -euo pipefail
arch="${1:?usage: tools/release/package.sh <amd64|arm64> [OUT_DIR]}"
out="${2:-dist}"
case "$arch" in
  amd64) target=x86_64-unknown-linux-musl machine=62 ;;
  arm64) target=aarch64-unknown-linux-musl machine=183 ;;
  *) echo "unknown architecture $arch: amd64 or arm64" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# ring's build script makes cargo rebuild it (and all that depends on it) whenever one of these
# variables changes; the test harness packages with the same values (tools/e2e-harness/src/
# package.rs), so that the tests run this very build rather than make their own.
export CARGO_MANIFEST_DIR="$(pwd -P)" CARGO_MANIFEST_PATH= CARGO_MANIFEST_LINKS= CARGO_PKG_NAME= \
  CARGO_PKG_VERSION= CARGO_PKG_VERSION_MAJOR= CARGO_PKG_VERSION_MINOR= CARGO_PKG_VERSION_PATCH= \
  CARGO_PKG_VERSION_PRE= CARGO_CRATE_NAME= CARGO_PRIMARY_PACKAGE=

# cargo libcnb package prints the directory of each buildpack it packaged on standard output.
dir="$(cargo libcnb package --release --target "$target" | tail -n 1)"
if [[ ! -f "$dir/buildpack.toml" || ! -x "$dir/bin/build" ]]; then
  echo "cargo libcnb package did not leave a buildpack in '$dir'" >&2
  exit 1
fi
# The ELF header's e_machine (bytes 18-19, little-endian): 62 is x86-64, 183 is AArch64.
found="$(od -An -t u2 -j 18 -N 2 "$dir/bin/build" | tr -d ' ')"
if [[ "$found" != "$machine" ]]; then
  echo "$dir/bin/build is for ELF machine $found, not $arch ($machine)" >&2
  exit 1
fi

tar -czf "$out/gocnb-go-linux-$arch.tgz" -C "$dir" .
cp package.toml "$dir/package.toml"
# One target: with none, pack packages the directory once for every target buildpack.toml lists.
pack buildpack package "$out/gocnb-go-linux-$arch.cnb" --config "$dir/package.toml" --format file \
  --target "linux/$arch"
if ! tar -xOf "$out/gocnb-go-linux-$arch.cnb" 2>/dev/null | grep -ac "\"architecture\":\"$arch\"" >/dev/null; then
  echo "$out/gocnb-go-linux-$arch.cnb is missing, or its image config is not for $arch" >&2
  exit 1
fi
echo "$out/gocnb-go-linux-$arch.tgz"
echo "$out/gocnb-go-linux-$arch.cnb"
