# Two commands on a fresh machine: `make run` (set up, teach it the sample family, serve it)
# and `make test` (set up, run the tests). Everything installs from PyPI into .venv.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= $(or $(FAMILYPHOTO_TEST_DATA),../shared/data)
WEIGHTS ?= weights

.PHONY: setup run demo test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(WEIGHTS)/manifest.json: | setup
	$(BIN)/familyphoto train $(DATA)/family-dev/enroll --weights $(WEIGHTS)

# The service on the sample family-dev family (trained on first run): http://127.0.0.1:8000/docs
run: setup $(WEIGHTS)/manifest.json
	$(BIN)/familyphoto serve --weights $(WEIGHTS)

# The command line on the same family: who is in each group photo, as JSON Lines.
demo: setup $(WEIGHTS)/manifest.json
	$(BIN)/familyphoto predict $(DATA)/family-dev/photos --weights $(WEIGHTS) --no-crops

test: setup
	FAMILYPHOTO_TEST_DATA=$(DATA) $(BIN)/pytest

bench: setup
	$(BIN)/python bench/accuracy.py --data $(DATA)
	bash bench/setup_face_recognition_env.sh
	$(BIN)/python bench/speed.py --data $(DATA)

clean:
	rm -rf $(VENV) bench/.venv-fr bench/out
