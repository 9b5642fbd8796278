# Kubernetes targets: images, charts, kind deploy. Included by the Makefile (`include k8s/k8s.mk`);
# also usable alone: make -f k8s/k8s.mk k8s-tools. Every variable below can be overridden.
SHELL := /bin/bash

K8S_BIN ?= .cache/bin
HELM ?= $(K8S_BIN)/helm
KIND ?= $(K8S_BIN)/kind
KUBECTL ?= kubectl
K8S_PY ?= .venv/bin/python
HELM_VERSION ?= v3.22.0
KIND_VERSION ?= v0.33.0
# Kubernetes version helm assumes offline (helm template/lint): the client-go minor of helm v3.22.0.
HELM_K8S_MINOR ?= 37

KIND_CLUSTER ?= questlog
# kube context of deploy/undeploy/k8s-load/k8s-operator (never the current one by accident)
K8S_CONTEXT ?= kind-$(KIND_CLUSTER)
K8S_NAMESPACE ?= questlog
RELEASE ?= questlog
CHART ?= charts/questlog
VALUES ?= $(CHART)/values-kind.yaml
HELM_ARGS ?=
# spark-operator is its own release. Its chart (and CRDs) come from the Go module proxy: the module
# github.com/kubeflow/spark-operator/v2 carries charts/spark-operator-chart (`make spark-operator-chart`,
# sha256-pinned). Point SPARK_OPERATOR_CHART elsewhere (a directory, .tgz or oci:// reference) to override.
SPARK_OPERATOR_VERSION ?= 2.4.0
SPARK_OPERATOR_SHA256 ?= 619a880b56a62bdf9fa593293d167e419b76d469659ca35e8a28de265abe3c61
SPARK_OPERATOR_DIR ?= .cache/spark-operator/$(SPARK_OPERATOR_VERSION)
SPARK_OPERATOR_CHART ?= $(SPARK_OPERATOR_DIR)/spark-operator-chart
SPARK_OPERATOR_NAMESPACE ?= spark-operator
SPARK_OPERATOR_ARGS ?=
# Images: what build.sh tags (questlog/<component>:<chart appVersion>).
IMAGE_TAG ?= $(shell sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}/\1/p' $(CHART)/Chart.yaml)
IMAGES ?= api spark-stream kafka hdfs hive-metastore trino loadgen
# e.g. --no-pull on a machine without registry access (debootstrap bases)
IMAGE_BUILD_ARGS ?=

# go install flags: the version and the Kubernetes version helm's own Makefile sets with -ldflags.
HELM_LDFLAGS := -s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
  -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
  -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_K8S_MINOR) \
  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR)

.PHONY: k8s-tools spark-operator-chart charts-sync charts-docs charts-check images images-dry-run images-smoke deploy undeploy kind-delete k8s-load k8s-operator

k8s-tools: ## Build helm and kind into .cache/bin (Go module proxy; cached: a second run does nothing)
	@[[ -x $(HELM) ]] || rm -f $(K8S_BIN)/.helm-*
	@[[ -x $(KIND) ]] || rm -f $(K8S_BIN)/.kind-*
	@$(MAKE) -s -f k8s/k8s.mk --no-print-directory $(K8S_BIN)/.helm-$(HELM_VERSION) $(K8S_BIN)/.kind-$(KIND_VERSION)

# Stamp files: a second run does nothing. Go's module and build caches make a rebuild quick too.
$(K8S_BIN)/.helm-$(HELM_VERSION):
	@command -v go >/dev/null || { echo "k8s-tools: Go is missing (apt-get install golang, or see go.dev/doc/install)" >&2; exit 1; }
	@mkdir -p $(K8S_BIN)
	@echo "building helm $(HELM_VERSION) into $(K8S_BIN) (first time: a few minutes)"
	GOFLAGS=-mod=mod GOBIN=$(abspath $(K8S_BIN)) go install -trimpath -ldflags "$(HELM_LDFLAGS)" helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	$(HELM) version --short | grep -qx '$(HELM_VERSION)' || { echo "helm reports $$($(HELM) version --short), wanted $(HELM_VERSION)" >&2; exit 1; }
	@touch $@

$(K8S_BIN)/.kind-$(KIND_VERSION):
	@command -v go >/dev/null || { echo "k8s-tools: Go is missing" >&2; exit 1; }
	@mkdir -p $(K8S_BIN)
	GOFLAGS=-mod=mod GOBIN=$(abspath $(K8S_BIN)) go install sigs.k8s.io/kind@$(KIND_VERSION)
	$(KIND) version | grep -q '^kind $(KIND_VERSION) ' || { echo "kind reports $$($(KIND) version)" >&2; exit 1; }
	@touch $@

spark-operator-chart: $(SPARK_OPERATOR_DIR)/.done ## Fetch the spark-operator chart and CRDs (Go module proxy zip, sha256-checked) into .cache

$(SPARK_OPERATOR_DIR)/.done:
	@command -v unzip >/dev/null || { echo "spark-operator-chart: unzip is missing (apt-get install unzip)" >&2; exit 1; }
	@mkdir -p $(SPARK_OPERATOR_DIR)
	@echo "fetching spark-operator v$(SPARK_OPERATOR_VERSION) from the Go module proxy"
	curl -fsSL --retry 3 -o $(SPARK_OPERATOR_DIR)/module.zip \
	  https://proxy.golang.org/github.com/kubeflow/spark-operator/v2/@v/v$(SPARK_OPERATOR_VERSION).zip \
	  || { echo "spark-operator-chart: could not download the module from proxy.golang.org" >&2; exit 1; }
	echo "$(SPARK_OPERATOR_SHA256)  $(SPARK_OPERATOR_DIR)/module.zip" | sha256sum -c --quiet \
	  || { echo "spark-operator-chart: checksum mismatch for v$(SPARK_OPERATOR_VERSION) (SPARK_OPERATOR_SHA256)" >&2; rm -f $(SPARK_OPERATOR_DIR)/module.zip; exit 1; }
	rm -rf $(SPARK_OPERATOR_DIR)/unpack $(SPARK_OPERATOR_DIR)/spark-operator-chart
	unzip -q $(SPARK_OPERATOR_DIR)/module.zip '*/charts/spark-operator-chart/*' -d $(SPARK_OPERATOR_DIR)/unpack
	mv $(SPARK_OPERATOR_DIR)/unpack/github.com/kubeflow/spark-operator/v2@v$(SPARK_OPERATOR_VERSION)/charts/spark-operator-chart $(SPARK_OPERATOR_DIR)/
	rm -rf $(SPARK_OPERATOR_DIR)/unpack $(SPARK_OPERATOR_DIR)/module.zip
	@touch $@

charts-sync: ## Copy stack/conf files into the charts (after changing the local stack's config)
	@$(K8S_PY) tools/charts_sync.py

charts-docs: ## Regenerate the chart README and values.schema.json files from the values comments
	@$(K8S_PY) tools/chart_docs.py

charts-check: k8s-tools ## Offline chart verification: lint, render, schemas, policies, hadolint (tests/charts)
	$(K8S_PY) -m pytest tests/charts $(PYTEST_ARGS)

images: ## Build every image (images/build.sh; needs Docker and `make setup`)
	images/build.sh $(IMAGE_BUILD_ARGS) $(IMAGES)

images-smoke: k8s-tools ## Run the chart's pods as Docker containers (loopback only) and pass its helm tests
	$(K8S_PY) tests/containers/smoke.py

images-dry-run: ## Assemble the image build contexts and print the docker commands, building nothing
	images/build.sh --dry-run $(IMAGES)

k8s-operator: k8s-tools $(if $(filter $(SPARK_OPERATOR_DIR)/%,$(SPARK_OPERATOR_CHART)),spark-operator-chart) ## Install spark-operator (default: the fetched chart; or SPARK_OPERATOR_CHART=<dir|tgz|oci ref>) as its own release
	$(HELM) --kube-context $(K8S_CONTEXT) upgrade --install spark-operator $(SPARK_OPERATOR_CHART) \
	  $(if $(filter oci://%,$(SPARK_OPERATOR_CHART)),--version $(SPARK_OPERATOR_VERSION)) \
	  --namespace $(SPARK_OPERATOR_NAMESPACE) --create-namespace \
	  --set 'spark.jobNamespaces={$(K8S_NAMESPACE)}' --set spark.serviceAccount.create=false \
	  --wait --timeout 10m $(SPARK_OPERATOR_ARGS)

deploy: k8s-tools ## kind cluster (if missing), images, kind load, spark-operator, helm install, helm test, URLs
	@$(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)' \
	  || $(KIND) create cluster --name $(KIND_CLUSTER) --config k8s/kind-config.yaml --wait 120s
	$(MAKE) -f k8s/k8s.mk images
	for c in $(IMAGES); do $(KIND) load docker-image --name $(KIND_CLUSTER) questlog/$$c:$(IMAGE_TAG) || exit 1; done
	$(MAKE) -f k8s/k8s.mk k8s-operator SPARK_OPERATOR_CHART=$(SPARK_OPERATOR_CHART)
	$(HELM) --kube-context $(K8S_CONTEXT) upgrade --install $(RELEASE) $(CHART) --namespace $(K8S_NAMESPACE) --create-namespace \
	  -f $(VALUES) --wait --timeout 15m $(HELM_ARGS)
	$(HELM) --kube-context $(K8S_CONTEXT) test $(RELEASE) --namespace $(K8S_NAMESPACE) --logs --timeout 10m
	@echo "API:   http://127.0.0.1:30500   (key: $(KUBECTL) --context $(K8S_CONTEXT) -n $(K8S_NAMESPACE) get secret $(RELEASE)-api-keys -o jsonpath='{.data.keys}' | base64 -d)"
	@echo "Trino: http://127.0.0.1:30080   (catalog lake, schema game)"

undeploy: ## Uninstall the release (volumes and the generated API key Secret are kept) and spark-operator
	-$(HELM) --kube-context $(K8S_CONTEXT) uninstall $(RELEASE) --namespace $(K8S_NAMESPACE) --wait
	-$(HELM) --kube-context $(K8S_CONTEXT) uninstall spark-operator --namespace $(SPARK_OPERATOR_NAMESPACE) --wait

kind-delete: ## Delete the kind cluster and everything in it
	$(KIND) delete cluster --name $(KIND_CLUSTER)

ifndef LOAD_RUN
LOAD_RUN := $(shell date +%Y%m%d%H%M%S)
endif
k8s-load: k8s-tools ## Run the Apache Bench load Job against the deployed API and show its output
	$(HELM) template $(RELEASE) $(CHART) --namespace $(K8S_NAMESPACE) -f $(VALUES) $(HELM_ARGS) \
	  --set loadgen.enabled=true --set-string loadgen.runId=$(LOAD_RUN) \
	  --show-only charts/loadgen/templates/job.yaml \
	  --show-only charts/loadgen/templates/serviceaccount.yaml --show-only charts/loadgen/templates/networkpolicy.yaml \
	  | $(KUBECTL) --context $(K8S_CONTEXT) apply --namespace $(K8S_NAMESPACE) -f -
	$(KUBECTL) --context $(K8S_CONTEXT) wait --namespace $(K8S_NAMESPACE) --for=condition=complete --timeout=15m job/$(RELEASE)-loadgen-$(LOAD_RUN) \
	  || { $(KUBECTL) --context $(K8S_CONTEXT) logs --namespace $(K8S_NAMESPACE) job/$(RELEASE)-loadgen-$(LOAD_RUN); exit 1; }
	$(KUBECTL) --context $(K8S_CONTEXT) logs --namespace $(K8S_NAMESPACE) job/$(RELEASE)-loadgen-$(LOAD_RUN)
