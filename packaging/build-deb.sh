#!/usr/bin/env bash
# Builds the Outpost .deb packages from already-built binaries (cross-compile/build.sh
# prints them).
#   packaging/build-deb.sh DEB_ARCH OUTDIR BINARY...      DEB_ARCH = arm64 | armhf | amd64
# Prints the path of each .deb. Two packages:
#   outpost      what a device installs: the device CLI `outpost` (and the agent once it
#                exists); every other binary given, except outpost-dev, goes here too;
#   outpost-dev  the developer tools `outpost-dev` (conformance, benchmarks, keys, package
#                build, baselines), for build machines and CI: devices do not need them,
#                and the device package stays small (docs/size-budget.md).
# Each binary goes (stripped) to /usr/bin. Depends: is derived from what the binaries
# actually link (readelf -d NEEDED), mapped to the Debian 12 package that ships each
# library.
#
# The agent (once it exists): if a binary named `outpost-agent` is given, its systemd
# unit packaging/agent/outpost-agent.service goes to /lib/systemd/system and
# packaging/agent/agent.conf to /etc/outpost/agent.conf (a conffile), with the
# maintainer scripts packaging/agent/{postinst,prerm,postrm} when present.
set -euo pipefail
deb_arch="${1:?usage: build-deb.sh DEB_ARCH OUTDIR BINARY...}"
outdir="${2:?usage: build-deb.sh DEB_ARCH OUTDIR BINARY...}"
shift 2
[[ $# -gt 0 ]] || { echo "build-deb.sh: no binaries given" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
objcopy="$(dirname "$(readlink -f "$(command -v swift)")")/llvm-objcopy"

version="${OUTPOST_VERSION:-}"
if [[ -z $version ]]; then
  version="0.1.0"
  sha="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)"
  [[ -n $sha ]] && version="$version+git$sha"
fi

# soname -> Debian 12 (bookworm) package; minimum versions are bookworm's.
dep_for() {
  case "$1" in
    libc.so.6|libm.so.6|libpthread.so.0|libdl.so.2|librt.so.1|ld-linux*.so.*) echo "libc6 (>= 2.36)" ;;
    libgcc_s.so.1) echo "libgcc-s1 (>= 12)" ;;
    libsqlite3.so.0) echo "libsqlite3-0 (>= 3.40)" ;;
    libcurl.so.4) echo "libcurl4 (>= 7.88)" ;;
    libssl.so.3|libcrypto.so.3) echo "libssl3 (>= 3.0)" ;;
    libz.so.1) echo "zlib1g (>= 1:1.2.13)" ;;
    *) echo "build-deb.sh: no Debian package known for $1 (add it to dep_for)" >&2; return 1 ;;
  esac
}

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
device_bins=()
dev_bins=()
for bin in "$@"; do
  if [[ $(basename "$bin") == outpost-dev ]]; then dev_bins+=("$bin"); else device_bins+=("$bin"); fi
done

# build_package NAME DESCRIPTION BINARY...: builds OUTDIR/NAME_VERSION_ARCH.deb, prints its path.
build_package() {
  local name="$1" description="$2"; shift 2
  local pkg="$stage/$name"
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/doc/$name"
  local deps=() has_agent=0 bin bname so
  for bin in "$@"; do
    bname="$(basename "$bin")"
    # the Swift toolchain's llvm-objcopy strips every architecture
    "$objcopy" --strip-all "$bin" "$pkg/usr/bin/$bname"
    chmod 0755 "$pkg/usr/bin/$bname"
    while read -r so; do deps+=("$(dep_for "$so")"); done < <(
      readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    # Libraries opened with dlopen on first use (COutpostCrypto: libcrypto.so.3 for
    # package signatures; CSQLite: libsqlite3.so.0 for telemetry) are no NEEDED
    # entry: found by their soname in the binary.
    for so in libcrypto.so.3 libsqlite3.so.0; do
      grep -qF "$so" "$bin" && deps+=("$(dep_for "$so")")
    done
    [[ $bname == outpost-agent ]] && has_agent=1
  done

  if [[ $has_agent -eq 1 ]]; then
    if [[ -f "$here/agent/outpost-agent.service" ]]; then
      install -D -m 0644 "$here/agent/outpost-agent.service" "$pkg/lib/systemd/system/outpost-agent.service"
    fi
    if [[ -f "$here/agent/agent.conf" ]]; then
      install -D -m 0644 "$here/agent/agent.conf" "$pkg/etc/outpost/agent.conf"
      echo "/etc/outpost/agent.conf" >> "$pkg/DEBIAN/conffiles"
    fi
    for s in postinst prerm postrm; do
      [[ -f "$here/agent/$s" ]] && install -m 0755 "$here/agent/$s" "$pkg/DEBIAN/$s"
    done
  fi

  cat > "$pkg/usr/share/doc/$name/copyright" <<TXT
Outpost edge-inference runtime. See the project repository for the licence.
TXT
  local depends installed_kb
  depends="$(printf '%s\n' "${deps[@]}" | sort -u | paste -sd, - | sed 's/,/, /g')"
  installed_kb="$(du -sk "$pkg" | cut -f1)"
  cat > "$pkg/DEBIAN/control" <<TXT
Package: $name
Version: $version
Architecture: $deb_arch
Maintainer: Outpost developers <outpost@localhost>
Section: misc
Priority: optional
Installed-Size: $installed_kb
Depends: $depends
Description: $description
TXT
  mkdir -p "$outdir"
  local deb="$outdir/${name}_${version}_${deb_arch}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
  echo "$deb"
}

if [[ ${#device_bins[@]} -gt 0 ]]; then
  build_package outpost "Outpost edge-inference runtime
 Loads ONNX models and runs them on hand-tuned SIMD kernels (NEON on ARM,
 AVX2/AVX-512 on x86-64). Built with Embedded Swift: no Swift runtime needed.
 The developer tools (conformance, benchmarks, package signing) are in outpost-dev." "${device_bins[@]}"
fi
if [[ ${#dev_bins[@]} -gt 0 ]]; then
  build_package outpost-dev "Outpost developer tools
 outpost-dev: ONNX conformance runs, kernel and telemetry benchmarks, package
 signing keys, signed package building and drift baselines, for build machines
 and CI. Devices need only the outpost package." "${dev_bins[@]}"
fi
