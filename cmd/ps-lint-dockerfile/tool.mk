# ps-lint-dockerfile runs once per file from editors, hooks and xargs: linked
# statically it starts without the dynamic loader (about 1 ms of a one-file
# run on the 2-core VM, more than the linting). Only when every library it
# links has a static archive here, and never under SANITIZE=1 (ASan does not
# link statically); otherwise the usual dynamic link. It links only the
# libraries it uses, so that another tool's library without a static archive
# does not make it dynamic. (yajl's static archive is libyajl_s.a: the
# dynamic link takes -lyajl from LIBS.)
ifneq ($(SANITIZE),1)
PS_LINT_DOCKERFILE_LIBS = -lyaml -ljansson -lyajl_s -lxxhash -lpthread -lm
PS_LINT_DOCKERFILE_ARCHIVES = libc.a $(patsubst -l%,lib%.a,$(PS_LINT_DOCKERFILE_LIBS))
LINK_ps-lint-dockerfile = $(if $(shell for a in $(PS_LINT_DOCKERFILE_ARCHIVES); do \
	case "$$($(CC) -print-file-name=$$a)" in (/*) ;; (*) echo "$$a";; esac; done),,-static $(PS_LINT_DOCKERFILE_LIBS))
endif
