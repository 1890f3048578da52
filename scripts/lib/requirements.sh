# Installs what the run and test scripts need, only if it is missing. Sourced, not run.

ensure_swift_path() {
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  fi
  command -v swift >/dev/null 2>&1 || { echo "swift is not on PATH: install Swift 6 (https://swift.org/install)" >&2; exit 1; }
}

ensure_python_tools() {
  local missing=()
  python3 -c 'import moto.server, flask_cors' 2>/dev/null || missing+=("moto[server]>=5.0")
  python3 -c 'import boto3' 2>/dev/null || missing+=("boto3")
  python3 -c 'import waitress' 2>/dev/null || missing+=("waitress")
  command -v aws >/dev/null 2>&1 || missing+=("awscli")
  command -v cfn-lint >/dev/null 2>&1 || missing+=("cfn-lint")
  python3 -c 'import openapi_spec_validator' 2>/dev/null || missing+=("openapi-spec-validator")
  command -v schemathesis >/dev/null 2>&1 || missing+=("schemathesis>=4")
  python3 -c 'import selenium' 2>/dev/null || missing+=("selenium>=4")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing with pip: ${missing[*]}" >&2
    python3 -m pip install --quiet "${missing[@]}"
  fi
}

# Headless Chromium and its driver, from Debian's packages, for the browser test.
ensure_browser() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing with apt: chromium chromium-driver" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
}

# The release build deploy/ ships: fully static (Swift's stdlib and glibc linked in), so one binary runs
# on Lambda's Amazon Linux 2023 (glibc 2.34) and in any container, whatever glibc the build machine had.
# The linker's notes on getaddrinfo, getpwnam and dlopen in static binaries are that caveat, once per
# binary; they are left out of the output.
release_build() {
  swift build -c release --static-swift-stdlib -Xswiftc -static-executable $SECTION_FLAGS "$@" 2>&1 \
    | grep -v 'in statically linked applications requires at runtime'
}

# One section per function and per datum, Swift's and C's, so the linker's --gc-sections (SwiftPM
# passes it for release) drops each unused one rather than keeping whole files: 1.5 MB less bootstrap,
# 0.6 MB less zip, measured 2026-12-07. The Swift driver passes -function-sections to the frontend.
SECTION_FLAGS="-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections -Xcc -fdata-sections"

# advzip (Debian's advancecomp) for deploy/package-lambda: it deflates the zip again with 7-Zip's
# encoder, 3.8 % smaller than zlib's level 9 (Lambda reads only deflate, so this is the lever left).
ensure_zip_tools() {
  command -v advzip >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing with apt: advancecomp" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq advancecomp >/dev/null
}

# Fails unless every named binary in .build/release loads no shared library at all.
check_static() {
  local binary
  for binary in "$@"; do
    # ldd answers "not a dynamic executable" (and fails) only for a static binary.
    if ldd ".build/release/$binary" >/dev/null 2>&1; then
      echo "$binary is not statically linked:" >&2
      ldd ".build/release/$binary" >&2
      return 1
    fi
  done
}

# skopeo and umoci, from Debian's packages, for deploy/build-image (checks and pushes an OCI image layout).
ensure_oci_tools() {
  command -v skopeo >/dev/null 2>&1 && command -v umoci >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing with apt: skopeo umoci" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq skopeo umoci >/dev/null
}
