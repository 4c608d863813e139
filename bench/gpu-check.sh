#!/usr/bin/env bash
# Runs the real-GPU check packed by bench/gpu-pack.sh on a machine without Node.js or network, from the repo root:
#   CONDGRAD_DEVICE_UNPACK=1 bash bench/gpu-check.sh [extra gpu_check args]
# CONDGRAD_DEVICE_UNPACK=1 unpacks the Vulkan/EGL loader .debs into / (only on a throwaway machine). Writes
# ${OUT:-.}/gpu-check.json, .md and .log (and torch-condconv.json where PyTorch with CUDA is installed: the same CondConv
# shapes in PyTorch), and finishes within CONDGRAD_CHECK_LIMIT_S (default 570) seconds.
set -u
cd "$(dirname "$0")/.."

DEV=.device/gpu-check
OUTDIR=${OUT:-.}
LIMIT=${CONDGRAD_CHECK_LIMIT_S:-570}
BUDGET=${CONDGRAD_CHECK_BUDGET_S:-400}
THREADS=${CONDGRAD_CHECK_THREADS:-8}
mkdir -p "$OUTDIR"
LOG="$OUTDIR/gpu-check.log"

# xz -dc, or Python's lzma where xz is missing.
unxz_to() {
  xz -dc "$1" >"$2" 2>/dev/null && return 0
  python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
}

first_match() { for f in "$@"; do [ -f "$f" ] && { echo "$f"; return 0; }; done; return 1; }

setup_drivers() {
  if [ "${CONDGRAD_DEVICE_UNPACK:-0}" = 1 ]; then
    echo "== unpacking $(ls "$DEV"/debs/*.deb | wc -l) loader debs into /"
    for f in "$DEV"/debs/*.deb; do dpkg -x "$f" / || echo "dpkg -x $f failed"; done
    ldconfig
  else
    echo "== not unpacking the loader debs (set CONDGRAD_DEVICE_UNPACK=1 to)"
  fi
  local icd egl
  icd=$(first_match /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json /usr/local/share/vulkan/icd.d/nvidia*.json)
  if [ -z "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json VK_ICD_FILENAMES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  egl=$(first_match /usr/share/glvnd/egl_vendor.d/*nvidia*.json /etc/glvnd/egl_vendor.d/*nvidia*.json)
  if [ -z "$egl" ] && [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ]; then
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  fi
  # The ICD names its library without a path: make the driver's own folder findable when ldconfig does not know it.
  if ! ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia\|libEGL_nvidia'; then
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      [ -d "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    done
  fi
  echo "== driver"
  nvidia-smi -L 2>&1 || echo "nvidia-smi not available"
  uname -srm; head -2 /etc/os-release 2>/dev/null; ldd --version 2>&1 | head -1
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d \
    /usr/share/glvnd/egl_vendor.d /etc/glvnd/egl_vendor.d /usr/local/nvidia/share/glvnd/egl_vendor.d; do
    [ -d "$d" ] && { echo "-- $d"; ls -la "$d"; }
  done
  echo "-- found ICD '${icd:-}', EGL vendor '${egl:-}'"
  echo "-- VK_DRIVER_FILES=${VK_DRIVER_FILES:-} __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-} LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  echo "-- ldconfig:"; ldconfig -p 2>/dev/null | grep -E 'libvulkan|libEGL|libGLESv2|libGLX|libGLdispatch|nvidia' | head -40
}

# Node, the bundle and dawn.node go to a scratch folder, so the packed .device stays compressed.
stage() {
  RUN=$(mktemp -d /tmp/condgrad-gpu-check.XXXXXX)
  cp "$DEV/gpu_check.mjs" "$RUN/" && cp -r "$DEV/node_modules" "$RUN/" || return 1
  local dawn="$RUN/node_modules/webgpu/dist/linux-x64/dawn.node"
  unxz_to "$dawn.xz" "$dawn" && rm -f "$dawn.xz" || return 1
  unxz_to "$DEV/node.xz" "$RUN/node" && chmod +x "$RUN/node" || return 1
  echo "== staged in $RUN: node $("$RUN/node" --version)"
}

# run_check OUTFILE BUDGET [args…]: the bundle under a hard timeout; prints its exit code last.
run_check() {
  local out=$1 budget=$2
  shift 2
  local left=$((LIMIT - SECONDS))
  [ "$budget" -gt $((left - 45)) ] && budget=$((left - 45))
  echo "== gpu_check --budget-s $budget (hard limit $((left - 10)) s) $*"
  timeout -k 5 $((left - 10)) "$RUN/node" "$RUN/gpu_check.mjs" --out "$out" --budget-s "$budget" --threads "$THREADS" \
    --manifest "$DEV/manifest.json" "$@"
  local rc=$?
  echo "== gpu_check exited with $rc after $SECONDS s"
  return $rc
}

main() {
  echo "== condgrad real-GPU check, $(date -u +%FT%TZ), limit $LIMIT s"
  [ -f "$DEV/gpu_check.mjs" ] || { echo "ERROR: $DEV/gpu_check.mjs missing: run bash bench/gpu-pack.sh first and copy .device/gpu-check along with the tree"; return 1; }
  cat "$DEV/manifest.json" 2>/dev/null
  setup_drivers
  stage || { echo "ERROR: staging failed"; return 1; }
  run_check "$OUTDIR/gpu-check.json" "$BUDGET" "$@"
  local rc=$?
  # A crash (signal) or hard timeout: once more on Dawn's GLES backend, if time is left.
  if [ $rc -ge 124 ] && [ $((LIMIT - SECONDS)) -ge 120 ]; then
    echo "== retrying on opengles"
    run_check "$OUTDIR/gpu-check-retry.json" $((LIMIT - SECONDS - 60)) --gpu-backend opengles "$@"
  fi
  rm -rf "$RUN"
  # The same CondConv shapes in PyTorch/cuDNN on the same card, where the image has PyTorch with CUDA.
  if [ $((LIMIT - SECONDS)) -ge 60 ] && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "== PyTorch comparison ($((LIMIT - SECONDS - 15)) s left)"
    timeout -k 5 $((LIMIT - SECONDS - 15)) python3 bench/gpu_check/torch_condconv.py --out "$OUTDIR/torch-condconv.json" --manifest "$DEV/manifest.json" \
      || echo "== PyTorch comparison exited with $?"
  else
    echo "== no PyTorch comparison (no time left, or no PyTorch with CUDA)"
  fi
  return $rc
}

main "$@" 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
