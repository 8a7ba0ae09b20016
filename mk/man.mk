# Man pages (docs/packaging.md): one scdoc source each in man/
# (NAME.SECTION.scd), built into build/man/NAME.SECTION.  `make install`
# and the Debian packages install them.
#
#   make man           build/man/*.1 and mp3.4 from man/*.scd
MAN_SRC := $(wildcard man/*.scd)
MAN_OUT := $(patsubst man/%.scd,build/man/%,$(MAN_SRC))

man: $(MAN_OUT)

# scdoc reads the page on stdin; SOURCE_DATE_EPOCH (the last commit's
# time when there is one) keeps the footer's date reproducible.
build/man/%: man/%.scd
	@command -v scdoc >/dev/null || { echo "man: scdoc is not installed (apt-get install scdoc; tools/install/deps.sh does)" >&2; exit 1; }
	@mkdir -p $(@D)
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)} scdoc < $< > $@.tmp && mv $@.tmp $@

.PHONY: man
