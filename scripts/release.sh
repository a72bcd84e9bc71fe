#!/usr/bin/env bash
# Build the release archives that krew installs and write their krew plugin manifest.
#
#   scripts/release.sh [VERSION] [--target TRIPLE]... [--binary PATH] [--out DIR] [--update-manifest]
#
# VERSION      defaults to Cargo.toml's version (with or without a leading "v"); it must equal it, so
#              an archive never carries a version its binary does not report.
# --target T   build and package Rust target T (repeatable); default: the host target. Each needs its
#              toolchain (`rustup target add T`) and a linker for it: run on a release machine.
# --binary P   package the already-built binary P for the host target instead of building.
# --out DIR    where archives and the manifest go (default: dist/).
# --update-manifest
#              also write the manifest to krew/tlscheck.yaml (the copy committed to the repository).
#
# Per target it writes DIR/kubectl-tlscheck_v<version>_<os>_<arch>.tar.gz with kubectl-tlscheck (.exe on
# Windows) and LICENSE at the archive root, reproducibly: fixed order, owner, modes and mtime
# (SOURCE_DATE_EPOCH, default: the time of the HEAD commit) and a gzip header without name or time.
# Then DIR/tlscheck.yaml lists exactly the platforms that have an archive, with their sha256.
# The manifest is written here with a heredoc (no YAML library); tests/krew.rs validates it against
# krew's rules and checks it against the archives.
set -euo pipefail

if ((BASH_VERSINFO[0] < 4)); then
  echo "release.sh: needs bash >= 4 (macOS: brew install bash, then run it with that bash)" >&2
  exit 2
fi

readonly PLUGIN=tlscheck
readonly BIN=kubectl-tlscheck
readonly HOMEPAGE=https://github.com/kubectl-tlscheck/kubectl-tlscheck
# Upstream's current apiVersion: sigs.k8s.io/krew pkg/constants/constants.go (CurrentAPIVersion).
readonly API_VERSION=krew.googlecontainertools.github.com/v1alpha2
# Every platform this project publishes, in manifest order: "os/arch target-triple".
readonly ALL_PLATFORMS=(
  "linux/amd64 x86_64-unknown-linux-gnu"
  "linux/arm64 aarch64-unknown-linux-gnu"
  "darwin/amd64 x86_64-apple-darwin"
  "darwin/arm64 aarch64-apple-darwin"
  "windows/amd64 x86_64-pc-windows-msvc"
)

die() {
  echo "release.sh: $*" >&2
  exit 2
}

usage() {
  sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
}

# Rust target triple -> krew "os/arch" (krew uses Go's GOOS/GOARCH names).
krew_platform() {
  case "$1" in
    x86_64-unknown-linux-gnu | x86_64-unknown-linux-musl) echo linux/amd64 ;;
    aarch64-unknown-linux-*) echo linux/arm64 ;;
    x86_64-apple-darwin) echo darwin/amd64 ;;
    aarch64-apple-darwin) echo darwin/arm64 ;;
    x86_64-pc-windows-msvc | x86_64-pc-windows-gnu) echo windows/amd64 ;;
    *) return 1 ;;
  esac
}

# GNU tar for --sort/--owner/--mtime (macOS's bsdtar has none of them; Homebrew's gnu-tar is gtar).
gnu_tar() {
  local t
  for t in tar gtar; do
    if command -v "$t" >/dev/null 2>&1 && "$t" --version 2>/dev/null | grep -q 'GNU tar'; then
      echo "$t"
      return
    fi
  done
  return 1
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else # macOS release machines
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# ---- arguments (paths are resolved against the caller's directory before moving to the repo root)
version_arg=""
targets=()
binary=""
out=""
update_manifest=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) [[ $# -ge 2 ]] || die "--target needs a Rust target triple"; targets+=("$2"); shift 2 ;;
    --target=*) targets+=("${1#*=}"); shift ;;
    --binary) [[ $# -ge 2 ]] || die "--binary needs a path"; binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --out) [[ $# -ge 2 ]] || die "--out needs a directory"; out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --update-manifest) update_manifest=true; shift ;;
    -h | --help) usage ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [[ -z "$version_arg" ]] || die "more than one VERSION given: $version_arg, $1"; version_arg=$1; shift ;;
  esac
done

if [[ -n "$binary" ]]; then
  [[ -f "$binary" && -x "$binary" ]] || die "--binary $binary is not an executable file; build it first (cargo build --release)"
  binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
fi
if [[ -n "$out" ]]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
fi

cd "$(dirname "$0")/.."
root=$(pwd)
[[ -n "$out" ]] || out=$root/dist
mkdir -p "$out"
[[ -f LICENSE ]] || die "LICENSE is missing at the repository root; the archives must ship it (krew-index requires a license)"

# ---- version: Cargo.toml's [package] version is the single source.
cargo_version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)
[[ -n "$cargo_version" ]] || die "could not read the [package] version from Cargo.toml"
if [[ -n "$version_arg" && "${version_arg#v}" != "$cargo_version" ]]; then
  die "VERSION ${version_arg} differs from Cargo.toml's version ${cargo_version}; bump Cargo.toml (and commit) first"
fi
version=$cargo_version
tag=v$version

TAR=$(gnu_tar) || die "GNU tar is needed for reproducible archives (Debian: apt-get install tar; macOS: brew install gnu-tar)"

# ---- mtime for every archive entry
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) ||
    die "not a git checkout: set SOURCE_DATE_EPOCH (seconds since 1970) to the release's commit time"
fi
[[ "$SOURCE_DATE_EPOCH" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH is not a number of seconds"

host=$(rustc -vV | sed -n 's/^host: //p')
[[ -n "$host" ]] || die "could not read the host target from rustc -vV"
if [[ -n "$binary" ]]; then
  if [[ ${#targets[@]} -gt 0 ]]; then
    die "--binary packages the host target ($host) only; drop --target, or drop --binary to build the targets"
  fi
  targets=("$host")
fi
[[ ${#targets[@]} -gt 0 ]] || targets=("$host")

# ---- build and package each target
declare -A sha_of_platform=() target_of_platform=()
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for target in "${targets[@]}"; do
  platform=$(krew_platform "$target") ||
    die "no krew platform for target $target; known: x86_64/aarch64 linux (gnu, musl), x86_64/aarch64 apple-darwin, x86_64 windows (msvc, gnu)"
  if [[ -n "${target_of_platform[$platform]:-}" ]]; then
    die "targets ${target_of_platform[$platform]} and $target both map to $platform; keep one"
  fi
  target_of_platform[$platform]=$target
  os=${platform%/*}
  arch=${platform#*/}
  exe=$BIN
  [[ "$os" == windows ]] && exe=$BIN.exe

  if [[ -n "$binary" ]]; then
    built=$binary
  else
    echo "release.sh: building $target" >&2
    cargo build --release --locked --target "$target" ||
      die "cargo build for $target failed; it needs \`rustup target add $target\` and a linker for it"
    built=$root/target/$target/release/$exe
  fi

  dir=$stage/$platform
  mkdir -p "$dir"
  cp "$built" "$dir/$exe"
  cp LICENSE "$dir/LICENSE"
  chmod 0755 "$dir/$exe"
  chmod 0644 "$dir/LICENSE"
  archive=$out/${BIN}_${tag}_${os}_${arch}.tar.gz
  # Reproducible: fixed entry order (names given in C-locale order; --sort=name orders anything
  # below them), numeric root owner, modes set above, fixed mtime, gnu format (no pax atime/ctime
  # records), gzip without the original name and time stamp.
  LC_ALL=C "$TAR" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
    --mtime="@${SOURCE_DATE_EPOCH}" -C "$dir" -cf - LICENSE "$exe" | gzip -n >"$archive.tmp"
  mv "$archive.tmp" "$archive"
  sha_of_platform[$platform]=$(sha256_of "$archive")
  echo "release.sh: $archive ${sha_of_platform[$platform]}" >&2
done

# ---- manifest: the platforms with an archive, in ALL_PLATFORMS order
present=()
missing=()
for entry in "${ALL_PLATFORMS[@]}"; do
  platform=${entry%% *}
  if [[ -n "${sha_of_platform[$platform]:-}" ]]; then
    present+=("$platform")
  else
    missing+=("${entry#* } ($platform)")
  fi
done
missing_lines="#   none"
if [[ ${#missing[@]} -gt 0 ]]; then
  missing_lines=$(printf '#   %s\n' "${missing[@]}")
fi

manifest=$out/$PLUGIN.yaml
{
  cat <<EOF
# krew plugin manifest of \`kubectl $PLUGIN\` (https://krew.sigs.k8s.io), for the krew-index
# (plugins/$PLUGIN.yaml there). Generated by scripts/release.sh from the archives it built; do not
# edit by hand, re-run \`scripts/release.sh --update-manifest\` (tests/krew.rs validates it).
# Each sha256 is that of the archive built with this file; a release regenerates this file from
# the very archives it uploads (GitHub release $tag), so that the checksums match them.
# Platforms with an archive: ${present[*]}.
# Left out (no archive built here); a release machine with the Rust target and its linker
# installed builds them with \`scripts/release.sh --target TRIPLE ... --update-manifest\`:
${missing_lines}
apiVersion: $API_VERSION
kind: Plugin
metadata:
  name: $PLUGIN
spec:
  version: "$tag"
  homepage: $HOMEPAGE
  shortDescription: "Lint Kubernetes TLS: AWS ACM and cert-manager"
  description: |
    Lints Kubernetes manifests (files, directories, or rendered Helm/kustomize
    output on stdin) and live clusters against the hybrid TLS architecture used
    on EKS: TLS that terminates at AWS load balancers with ACM certificates
    (north-south), and in-cluster TLS from cert-manager for admission webhooks,
    aggregated APIs and pod-to-pod traffic (east-west). Every finding says where
    (file:line:col), why, and how to fix it. Start with
    \`kubectl $PLUGIN lint PATH...\` or \`kubectl $PLUGIN --help\`.
  platforms:
EOF
  for platform in "${present[@]}"; do
    os=${platform%/*}
    arch=${platform#*/}
    exe=$BIN
    [[ "$os" == windows ]] && exe=$BIN.exe
    cat <<EOF
  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $HOMEPAGE/releases/download/$tag/${BIN}_${tag}_${os}_${arch}.tar.gz
    sha256: "${sha_of_platform[$platform]}"
    files:
    - from: $exe
      to: .
    - from: LICENSE
      to: .
    bin: $exe
EOF
  done
} >"$manifest"
echo "release.sh: wrote $manifest" >&2

if $update_manifest; then
  mkdir -p krew
  cp "$manifest" krew/$PLUGIN.yaml
  echo "release.sh: wrote $root/krew/$PLUGIN.yaml" >&2
fi

# The other places that pin a release archive follow the manifest: the Argo CD sidecar's init
# container (linux/amd64 archive and its sha256) and the GitHub Actions workflow's version.
# tests/argocd.rs checks they agree with krew/tlscheck.yaml.
if $update_manifest && [[ -n "${sha_of_platform[linux/amd64]:-}" ]]; then
  patch=plugins/argocd/repo-server-patch.yaml
  url="$HOMEPAGE/releases/download/$tag/${BIN}_${tag}_linux_amd64.tar.gz"
  sed -i -E \
    -e "/name: TLSCHECK_URL/{n;s|value: .*|value: $url|}" \
    -e "/name: TLSCHECK_SHA256/{n;s|value: .*|value: ${sha_of_platform[linux/amd64]}|}" \
    "$patch"
  sed -i -E "s|^(  TLSCHECK_VERSION: ).*|\1$tag|" docs/ci/github-actions.yml
  echo "release.sh: wrote $root/$patch and $root/docs/ci/github-actions.yml" >&2
fi
