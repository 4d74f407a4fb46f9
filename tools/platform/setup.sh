#!/usr/bin/env bash
# Sets up the CNB platform the end-to-end tests run on, on a bare Debian 12 machine, as root:
# Debian's docker.io, debootstrap and musl-tools; a Docker daemon (started when none answers);
# `pack` and the lifecycle pinned in tools/cnb-pack and tools/cnb-lifecycle, built with the
# machine's Go; Debian bookworm build and run images made with debootstrap; the buildpack
# packaged for musl; and the builder of tools/platform/builder.toml made with `pack builder
# create`. Every step is cached outside the repository ($GO_CNB_TEST_CACHE, default
# ~/.cache/go-cnb-test) and skipped when already done; a step killed halfway is redone.
#
#   tools/platform/setup.sh          set up (idempotent)
#   tools/platform/setup.sh stop     stop the Docker daemon if an earlier setup started it
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${GO_CNB_TEST_CACHE:-$HOME/.cache/go-cnb-test}/platform"
mkdir -p "$cache"

BUILDER=gocnb/builder:bookworm
BUILDER_NO_GIT=gocnb/builder:bookworm-no-git
BUILD_IMAGE=gocnb/build:bookworm
BUILD_IMAGE_NO_GIT=gocnb/build:bookworm-no-git
RUN_IMAGE=gocnb/run:bookworm
MUSL_TARGET=x86_64-unknown-linux-musl

say() { printf '[platform] %s\n' "$*"; }
fail() {
  printf '[platform] error: %s\n' "$*" >&2
  exit 1
}

if [[ "${1:-}" == stop ]]; then
  # Only a daemon this script started is stopped: its pid file is ours.
  if [[ -f "$cache/dockerd.pid" ]]; then
    pid="$(cat "$cache/dockerd.pid")"
    rm -f "$cache/dockerd.pid"
    if kill "$pid" 2>/dev/null; then
      say "stopping the Docker daemon this set-up started (pid $pid)"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
  fi
  exit 0
fi

[[ "$(id -u)" == 0 ]] || fail "run as root: the set-up installs Debian packages and starts dockerd"
command -v go >/dev/null || fail "the machine's Go (1.26 or newer) is needed to build pack and the lifecycle"

# --- Debian packages
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
# The registry the cache-image test publishes to, on loopback.
command -v docker-registry >/dev/null || missing+=(docker-registry)
if ((${#missing[@]})); then
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! rustup target list --installed | grep -qx "$MUSL_TARGET"; then
  say "adding the Rust target $MUSL_TARGET"
  rustup target add "$MUSL_TARGET"
fi

# --- Docker daemon
if docker info >/dev/null 2>&1; then
  say "a Docker daemon answers"
else
  say "starting dockerd (overlay2, no iptables; log in $cache/dockerd.log)"
  # No iptables: containers on the bridge reach this machine's own addresses only, and
  # published ports go through docker-proxy on 127.0.0.1.
  nohup dockerd --storage-driver overlay2 --iptables=false --pidfile "$cache/dockerd.pid.daemon" \
    >"$cache/dockerd.log" 2>&1 &
  echo $! >"$cache/dockerd.pid"
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  if ! docker info >/dev/null 2>&1; then
    tail -n 20 "$cache/dockerd.log" >&2 || true
    fail "no Docker daemon answers and none could be started (see above). Start one (dockerd, as root) and run this again."
  fi
fi

# Images carry the key of what they were made from; the ID of an image, or nothing; an image
# that a new one replaced is removed (it has no name).
image_key() { docker image inspect -f '{{index .Config.Labels "gocnb.setup.key"}}' "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
remove_replaced() { [[ -z "$1" || "$1" == "$(image_id "$2")" ]] || docker image rm "$1" >/dev/null 2>&1 || true; }

# --- Base images: Debian bookworm from the machine's Debian mirror, as the CNB platform spec asks
# of stack images (a cnb user 1000:1000 with a home, CNB_USER_ID/CNB_GROUP_ID, the
# io.buildpacks.base.* labels, /etc/os-release). An image exists only once `docker import`
# finished, and carries the key of what it was made from: a killed run leaves nothing usable.
# A function, run in the background while pack, the lifecycle and the buildpack compile:
# debootstrap mostly waits on the Debian mirror and dpkg, the compilers on the CPU.
make_images() {
  make_rootfs() { # dir, extra packages (comma separated)
    local dir="$1" packages="$2"
    rm -rf "$dir" "$dir.new"
    debootstrap --variant=minbase --include="$packages" bookworm "$dir.new" >"$cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
    echo 'cnb:x:1000:1000:cnb:/home/cnb:/bin/bash' >>"$dir.new/etc/passwd"
    echo 'cnb:x:1000:' >>"$dir.new/etc/group"
    echo 'cnb:*:19000:0:99999:7:::' >>"$dir.new/etc/shadow"
    install -d -o 1000 -g 1000 "$dir.new/home/cnb"
    rm -rf "$dir.new/var/cache/apt/archives/"*.deb "$dir.new/var/lib/apt/lists/"*
    mv "$dir.new" "$dir"
  }


  import_image() { # rootfs dir, name, key
    local dir="$1" name="$2" key="$3" old
    old="$(image_id "$name")"
    tar -C "$dir" -c . | docker import \
      --change 'ENV CNB_USER_ID=1000' --change 'ENV CNB_GROUP_ID=1000' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'USER 1000:1000' --change 'WORKDIR /home/cnb' \
      --change 'LABEL io.buildpacks.base.distro.name=debian' \
      --change 'LABEL io.buildpacks.base.distro.version=12' \
      --change "LABEL io.buildpacks.base.maintainer=gocnb" \
      --change "LABEL gocnb.setup.key=$key" \
      - "$name" >/dev/null
    remove_replaced "$old" "$name"
  }

  base_key="$(sha256sum "$0" | cut -c1-16)"
  if [[ "$(image_key "$BUILD_IMAGE")" != "$base_key" || "$(image_key "$BUILD_IMAGE_NO_GIT")" != "$base_key" ]]; then
    say "making the build images from debootstrap (ca-certificates git gcc libc6-dev)"
    make_rootfs "$cache/rootfs-build" ca-certificates,git,gcc,libc6-dev,tar
    import_image "$cache/rootfs-build" "$BUILD_IMAGE" "$base_key"
    # A minimal build image, as some builders are: no git.
    rm -f "$cache/rootfs-build/usr/bin/git"
    import_image "$cache/rootfs-build" "$BUILD_IMAGE_NO_GIT" "$base_key"
    rm -rf "$cache/rootfs-build"
  fi
  if [[ "$(image_key "$RUN_IMAGE")" != "$base_key" ]]; then
    say "making the run image from debootstrap (ca-certificates tzdata)"
    make_rootfs "$cache/rootfs-run" ca-certificates,tzdata
    import_image "$cache/rootfs-run" "$RUN_IMAGE" "$base_key"
    rm -rf "$cache/rootfs-run"
  fi

  # Run images that say they are for another architecture (the same files): the lifecycle takes
  # the build's target from the run image, so builders with them build as for arm64 or ppc64le.
  for arch in arm64 ppc64le; do
    layers() { docker image inspect -f '{{json .RootFS.Layers}}' "$1" 2>/dev/null || true; }
    if [[ "$(layers "$RUN_IMAGE-$arch")" != "$(layers "$RUN_IMAGE")" ]]; then
      say "making the run image $RUN_IMAGE-$arch"
      work="$(mktemp -d "$cache/arch.XXXXXX")"
      docker save "$RUN_IMAGE" | tar -C "$work" -x
      python3 "$repo/tools/platform/retag-arch.py" "$work" "$arch" "$RUN_IMAGE-$arch"
      old="$(image_id "$RUN_IMAGE-$arch")"
      tar -C "$work" -c . | docker load >/dev/null
      remove_replaced "$old" "$RUN_IMAGE-$arch"
      rm -rf "$work"
    fi
  done

  # Images derived from those for the platform tests (tests/e2e/platforms.rs), each bringing one
  # condition a builder may have: a container of the base image runs `script` as root, and is
  # committed with `changes`. Keyed by the base image and the recipe.
  derive_image() { # base, name, script, changes...
    local base="$1" name="$2" script="$3" key old container args=()
    shift 3
    key="$( (image_id "$base"; echo "$script"; printf '%s\n' "$@") | sha256sum | cut -c1-16)"
    [[ "$(image_key "$name")" == "$key" ]] && return
    say "making the image $name"
    old="$(image_id "$name")"
    container="gocnb-derive-$$"
    docker rm -f "$container" >/dev/null 2>&1 || true
    docker run --name "$container" --user 0 --network none --entrypoint /bin/sh "$base" -c "$script" >/dev/null
    for change in "$@" "LABEL gocnb.setup.key=$key"; do args+=(--change "$change"); done
    docker commit "${args[@]}" "$container" "$name" >/dev/null
    docker rm "$container" >/dev/null
    remove_replaced "$old" "$name"
  }
  for kind in build run; do
    base="gocnb/$kind:bookworm"
    # A stack-style image, as builders made before targets declare them.
    derive_image "$base" "$base-stack" ":" "LABEL io.buildpacks.stack.id=$STACK_ID"
    # The cnb user as 1001:1001, as some base images have it.
    derive_image "$base" "$base-uid1001" \
      "sed -i 's/^cnb:x:1000:1000:/cnb:x:1001:1001:/' /etc/passwd && sed -i 's/^cnb:x:1000:/cnb:x:1001:/' /etc/group && chown -R 1001:1001 /home/cnb" \
      "USER 1001:1001" "ENV CNB_USER_ID=1001" "ENV CNB_GROUP_ID=1001"
  done
  # A run image without CA certificates or /etc/os-release.
  derive_image "$RUN_IMAGE" "$RUN_IMAGE-bare" \
    "rm -rf /etc/ssl/certs /usr/share/ca-certificates /etc/os-release /usr/lib/os-release" \
    "USER 1000:1000"
}

STACK_ID=io.gocnb.stacks.bookworm
images_log="$cache/images.log"
say "making the base images in the background (log in $images_log)"
make_images >"$images_log" 2>&1 &
images_pid=$!

# --- pack and the lifecycle, built with the machine's Go from the pinned modules.
# go.sum is complete and committed: every module is checked against it, and the checksum
# database (unreachable here) is never asked.
go_build() { # module dir, output, ldflags, packages...
  local dir="$1" out="$2" ldflags="$3"
  shift 3
  (cd "$repo/$dir" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly GOSUMDB=off \
    go build -trimpath -ldflags "$ldflags" -o "$out" "$@")
}
pinned() { sed -n "s|^\t$2 \(v[^ ]*\).*|\1|p" "$repo/$1/go.mod" | head -n 1; }

pack_version="$(pinned tools/cnb-pack github.com/buildpacks/pack)"
pack_key="$(cat "$repo/tools/cnb-pack/go.mod" "$repo/tools/cnb-pack/go.sum" | sha256sum | cut -c1-16)"
if [[ "$(cat "$cache/pack.key" 2>/dev/null)" != "$pack_key" ]] || ! command -v pack >/dev/null; then
  say "building pack $pack_version"
  go_build tools/cnb-pack "$cache/pack.new" \
    "-s -w -X github.com/buildpacks/pack/pkg/client.Version=${pack_version#v}" github.com/buildpacks/pack
  install -m 0755 "$cache/pack.new" /usr/local/bin/pack
  rm -f "$cache/pack.new"
  echo "$pack_key" >"$cache/pack.key"
fi
say "pack $(pack version)"

lifecycle_version="$(pinned tools/cnb-lifecycle github.com/buildpacks/lifecycle)"
lifecycle_key="$(cat "$repo/tools/cnb-lifecycle/go.mod" "$repo/tools/cnb-lifecycle/go.sum" \
  "$repo/tools/platform/lifecycle.toml" | sha256sum | cut -c1-16)"
lifecycle_tgz="$cache/lifecycle-$lifecycle_key.tgz"
if [[ ! -f "$lifecycle_tgz" ]]; then
  say "building the lifecycle $lifecycle_version"
  staging="$(mktemp -d "$cache/lifecycle.XXXXXX")"
  mkdir "$staging/lifecycle"
  go_build tools/cnb-lifecycle "$staging/lifecycle" \
    "-s -w -X github.com/buildpacks/lifecycle/cmd.Version=${lifecycle_version#v}" \
    github.com/buildpacks/lifecycle/cmd/lifecycle github.com/buildpacks/lifecycle/cmd/launcher
  for phase in analyzer detector restorer builder exporter creator rebaser extender; do
    ln -s lifecycle "$staging/lifecycle/$phase"
  done
  cp "$repo/tools/platform/lifecycle.toml" "$staging/lifecycle.toml"
  tar -C "$staging" -czf "$lifecycle_tgz.new" lifecycle.toml lifecycle
  mv "$lifecycle_tgz.new" "$lifecycle_tgz"
  rm -rf "$staging"
fi

# The same lifecycle offering only Platform API 0.7-0.9, as older lifecycles do: pack then
# drives it with the Platform API of such platforms.
lifecycle_old_tgz="$cache/lifecycle-platform-0.9-$( (echo "$lifecycle_key"; cat "$repo/tools/platform/lifecycle-platform-0.9.toml") | sha256sum | cut -c1-16).tgz"
if [[ ! -f "$lifecycle_old_tgz" ]]; then
  say "making the lifecycle that offers Platform API 0.7-0.9 only"
  staging="$(mktemp -d "$cache/lifecycle.XXXXXX")"
  tar -C "$staging" -xzf "$lifecycle_tgz"
  cp "$repo/tools/platform/lifecycle-platform-0.9.toml" "$staging/lifecycle.toml"
  tar -C "$staging" -czf "$lifecycle_old_tgz.new" lifecycle.toml lifecycle
  mv "$lifecycle_old_tgz.new" "$lifecycle_old_tgz"
  rm -rf "$staging"
fi

# --- The buildpack, packaged for the musl target, and the builders.
say "packaging the buildpack (release, $MUSL_TARGET)"
buildpack_dir="$(cd "$repo" && cargo run --quiet --locked --package e2e-harness -- package)"
buildpack_key="$(find "$buildpack_dir" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"

# --- The base images made in the background.
if ! wait "$images_pid"; then
  cat "$images_log" >&2
  fail "making the base images failed (log above)"
fi
cat "$images_log"

make_builder() { # name, builder.toml template, lifecycle, build image, run image
  local name="$1" template="$2" lifecycle="$3" build_image="$4" run_image="$5" staging old key
  key="$( (cat "$template" "$lifecycle"; echo "$buildpack_key"
    docker image inspect -f '{{.Id}}' "$build_image" "$run_image") | sha256sum | cut -c1-16)"
  if [[ "$(cat "$cache/${name//[\/:]/_}.key" 2>/dev/null)" == "$key" ]] &&
    docker image inspect "$name" >/dev/null 2>&1; then
    return
  fi
  say "creating the builder $name"
  rm -f "$cache/${name//[\/:]/_}.key"
  staging="$(mktemp -d "$cache/builder.XXXXXX")"
  old="$(image_id "$name")"
  sed -e "s|@LIFECYCLE@|$lifecycle|" -e "s|@BUILDPACK@|$buildpack_dir|" \
    -e "s|@BUILD_IMAGE@|$build_image|" -e "s|@RUN_IMAGE@|$run_image|" -e "s|@STACK_ID@|$STACK_ID|" \
    -e "s|@NOOP_BUILDPACK@|$repo/tools/e2e-harness/buildpacks/noop|" \
    "$template" >"$staging/builder.toml"
  pack builder create "$name" --config "$staging/builder.toml" --pull-policy never \
    >"$cache/builder.log" 2>&1 || { cat "$cache/builder.log" >&2; fail "pack builder create failed (log above)"; }
  rm -rf "$staging"
  remove_replaced "$old" "$name"
  echo "$key" >"$cache/${name//[\/:]/_}.key"
}
targets_toml="$repo/tools/platform/builder.toml"
builders=(
  "$BUILDER $targets_toml $lifecycle_tgz $BUILD_IMAGE $RUN_IMAGE"
  "$BUILDER_NO_GIT $targets_toml $lifecycle_tgz $BUILD_IMAGE_NO_GIT $RUN_IMAGE"
  "$BUILDER-run-arm64 $targets_toml $lifecycle_tgz $BUILD_IMAGE $RUN_IMAGE-arm64"
  "$BUILDER-run-ppc64le $targets_toml $lifecycle_tgz $BUILD_IMAGE $RUN_IMAGE-ppc64le"
  "$BUILDER-stack $repo/tools/platform/builder-stack.toml $lifecycle_tgz $BUILD_IMAGE-stack $RUN_IMAGE-stack"
  "$BUILDER-platform-0.9 $targets_toml $lifecycle_old_tgz $BUILD_IMAGE $RUN_IMAGE"
  "$BUILDER-uid1001 $targets_toml $lifecycle_tgz $BUILD_IMAGE-uid1001 $RUN_IMAGE-uid1001"
  "$BUILDER-bare-run $targets_toml $lifecycle_tgz $BUILD_IMAGE $RUN_IMAGE-bare"
  # The bench's floor: the same platform with a buildpack that does nothing.
  "$BUILDER-floor $repo/tools/platform/builder-floor.toml $lifecycle_tgz $BUILD_IMAGE $RUN_IMAGE"
)
for builder in "${builders[@]}"; do
  # shellcheck disable=SC2086 # the fields are words without spaces
  make_builder $builder
  pack config trusted-builders add "${builder%% *}" >/dev/null
done
pack config pull-policy if-not-present >/dev/null

say "ready: builder $BUILDER (lifecycle $lifecycle_version, pack $pack_version)"
