{{/* config.properties of a Trino node (the local stack's file); role is "coordinator" or "worker". */}}
{{- define "trino.configProperties" -}}
{{- $ctx := .ctx -}}
{{- $heap := int (ternary $ctx.Values.coordinator.heapMb $ctx.Values.workers.heapMb (eq .role "coordinator")) -}}
{{- $overrides := dict
  "coordinator" (eq .role "coordinator")
  "node-scheduler.include-coordinator" (ternary (eq (int $ctx.Values.workers.replicaCount) 0) nil (eq .role "coordinator"))
  "discovery.uri" (printf "http://%s" (include "questlog.endpoint" (list $ctx "trino" "trino")))
  "http-server.http.port" (toString $ctx.Values.global.ports.trino)
-}}
{{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/config.properties" "format" "properties"
      "vars" (include "trino.vars" (dict "ctx" $ctx "heap" $heap) | fromYaml)
      "overrides" (merge (deepCopy $ctx.Values.config) $overrides)) -}}
{{- end -}}

{{/* Placeholders of the local stack's Trino files (stack/bin/run-trino derives the memory the same way). */}}
{{- define "trino.vars" -}}
QL_VAR: /var/lib/questlog
QL_TRINO_HOME: /opt/trino
QL_TRINO_HEAP: {{ .heap }}M
QL_TRINO_QUERY_MEM: {{ div (mul .heap 45) 100 }}MB
QL_TRINO_HEADROOM: {{ div (mul .heap 30) 100 }}MB
{{- end -}}

{{/* The ConfigMap of a Trino role: etc dir files and the catalogs (mounted as catalog/). */}}
{{- define "trino.configMap" -}}
{{- $ctx := .ctx -}}
{{- $heap := int (ternary $ctx.Values.coordinator.heapMb $ctx.Values.workers.heapMb (eq .role "coordinator")) -}}
{{- $vars := include "trino.vars" (dict "ctx" $ctx "heap" $heap) | fromYaml -}}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "questlog.metadata" (list $ctx .component) | nindent 2 }}
data:
  config.properties: |
    {{- include "trino.configProperties" . | trim | nindent 4 }}
  node.properties: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/node.properties" "format" "properties" "vars" $vars
          "overrides" (dict "node.id" "${ENV:HOSTNAME}" "node.bind-ip" nil "node.internal-address" nil)) | trim | nindent 4 }}
  jvm.config: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/jvm.config" "format" "text" "vars" $vars) | trim | nindent 4 }}
  log.properties: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/log.properties" "format" "text") | trim | nindent 4 }}
  hdfs-site.xml: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/hdfs-site.xml" "format" "xml") | trim | nindent 4 }}
  lake.properties: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/catalog/lake.properties" "format" "properties" "vars" $vars
          "overrides" (merge (deepCopy $ctx.Values.lakeCatalog) (dict "hive.metastore.uri" (include "questlog.metastoreUri" $ctx)))) | trim | nindent 4 }}
  tpch.properties: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/catalog/tpch.properties" "format" "text") | trim | nindent 4 }}
{{- end -}}
