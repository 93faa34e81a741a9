# lead_management — see README.md.  Every target installs what is missing first.
.PHONY: run test lint update setup

run:      ## Odoo with demo data and lead_management on http://localhost:8069
	bash scripts/lm.sh run

test:     ## fresh test database, Odoo's at-install tests, then the whole suite (pytest-odoo, tours)
	bash scripts/lm.sh test $(ARGS)

lint:     ## ruff and pylint-odoo
	bash scripts/lm.sh lint

update:   ## update the addon in the run database
	bash scripts/lm.sh update

setup:    ## install PostgreSQL, Odoo 18.0, Python requirements and Chromium when missing
	bash scripts/lm.sh setup
