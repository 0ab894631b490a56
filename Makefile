# Two commands on a fresh machine: `make run` (set up, teach it the sample family, predict)
# and `make test` (set up, run the tests). Everything installs from PyPI into .venv.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= $(or $(FAMILYPHOTO_TEST_DATA),../shared/data)
WEIGHTS ?= weights

.PHONY: setup run test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Until the web service exists: teach it the sample family-dev family, then say who is in its group photos.
run: setup
	test -f $(WEIGHTS)/manifest.json || $(BIN)/familyphoto train $(DATA)/family-dev/enroll --weights $(WEIGHTS)
	$(BIN)/familyphoto predict $(DATA)/family-dev/photos --weights $(WEIGHTS) --no-crops

test: setup
	FAMILYPHOTO_TEST_DATA=$(DATA) $(BIN)/pytest

bench: setup
	$(BIN)/python bench/accuracy.py --data $(DATA)
	bash bench/setup_face_recognition_env.sh
	$(BIN)/python bench/speed.py --data $(DATA)

clean:
	rm -rf $(VENV) bench/.venv-fr bench/out
