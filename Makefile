# ironclad.infra — the commands of the README. Every target installs what it needs itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help
SCENARIO ?=

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv: ## Create .venv with the pinned tool chain
	@bash scripts/host-packages.sh && bash scripts/venv.sh

images: ## Start Docker if needed and build the local Debian 12/13 images (cached)
	@bash scripts/host-packages.sh && bash scripts/ensure-docker.sh && bash scripts/build-images.sh

demo: venv images ## Start the lab, run the site playbook on it, print a summary
	@bash lab/demo.sh

lab-down: ## Remove the demo lab containers and network
	@bash lab/lab.sh down

test: ## Everything CI runs: ruff, ansible-lint, sanity, unit tests, all Molecule scenarios
	@bash scripts/test.sh

unit: venv ## Unit tests only
	@IRONCLAD_TEST_STEPS=unit bash scripts/test.sh

lint: venv ## ruff + ansible-lint + ansible-test sanity
	@IRONCLAD_TEST_STEPS="ruff lint sanity" bash scripts/test.sh

molecule: venv images ## One scenario: make molecule SCENARIO=firewall (all when empty)
	@IRONCLAD_TEST_STEPS=molecule IRONCLAD_SCENARIOS="$(SCENARIO)" bash scripts/test.sh

build: venv ## Build the collection tarball (and install it into ~/.ansible/collections)
	@bash scripts/build-collection.sh

.PHONY: help venv images demo lab-down test unit lint molecule build
