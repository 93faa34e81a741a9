# lead_management — see README.md.  Every target installs what is missing first.
.PHONY: run test test-at lint update setup oca bench

run:      ## Odoo with demo data and lead_management on http://localhost:8069
	bash scripts/lm.sh run

test:     ## fresh test database, Odoo's at-install tests, then the whole suite (pytest-odoo, tours)
	bash scripts/lm.sh test $(ARGS)

test-at:  ## make test with the clocks of Odoo, Chromium and PostgreSQL moved: AT="2028-02-29 12:00:00" (UTC) [TZ_USER=Pacific/Tongatapu]
	$(if $(TZ_USER),LM_TEST_TZ='$(TZ_USER)') bash scripts/lm.sh test-at '$(AT)' $(ARGS)

lint:     ## ruff and pylint-odoo
	bash scripts/lm.sh lint

update:   ## update the addon in the run database
	bash scripts/lm.sh update

setup:    ## install PostgreSQL, Odoo 18.0, Python requirements and Chromium when missing
	bash scripts/lm.sh setup

oca:      ## the suites of OCA's crm addons (wheels from PyPI) with and without lead_management; ADDONS=a,b to choose
	bash scripts/lm.sh oca $(ADDONS)

bench:    ## every benchmark, a line each, on generated data: [SIZE=100000] [ROUNDS=3] [ONLY=scoring,jobs,…]
	bash scripts/lm.sh bench $(if $(SIZE),--size $(SIZE)) $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(ONLY),--only $(ONLY))
