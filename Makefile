# Thin aliases: ./run does the work (and creates .venv itself).
.PHONY: test reports reports-full bench lab docs setup
test:         ; ./run test
reports:      ; ./run reports
reports-full: ; ./run reports-full
bench:        ; ./run bench
lab:          ; ./run lab
docs:         ; ./run docs
setup:        ; ./run setup
