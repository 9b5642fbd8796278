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
{{- if include "questlog.trinoAuth" $ctx -}}
{{- /* Locked: password logins over HTTPS on the coordinator; the nodes sign their own requests. */ -}}
{{- $overrides = merge $overrides (dict
  "internal-communication.shared-secret" "${ENV:TRINO_SHARED_SECRET}"
  "access-control.config-files" "/var/lib/questlog/conf/trino/access-control.properties") -}}
{{- if eq .role "coordinator" -}}
{{- $overrides = merge $overrides (dict
  "http-server.authentication.type" "PASSWORD"
  "password-authenticator.config-files" "/var/lib/questlog/conf/trino/password-authenticator.properties"
  "http-server.https.enabled" "true"
  "http-server.https.port" (toString $ctx.Values.global.ports.trinoHttps)
  "http-server.https.keystore.path" "/etc/questlog/trino-tls/tls-combined.pem") -}}
{{- end -}}
{{- end -}}
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
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/hdfs-site.xml" "format" "xml"
          "overrides" (include "questlog.hdfsClientConfig" $ctx | fromYaml)) | trim | nindent 4 }}
  lake.properties: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/catalog/lake.properties" "format" "properties" "vars" $vars
          "overrides" (merge (deepCopy $ctx.Values.lakeCatalog) (dict "hive.metastore.uri" (include "questlog.metastoreUri" $ctx)) (include "trino.lockedCatalog" $ctx | fromYaml))) | trim | nindent 4 }}
  tpch.properties: |
    {{- include "questlog.renderConfig" (dict "ctx" $ctx "file" "files/catalog/tpch.properties" "format" "text") | trim | nindent 4 }}
  {{- if include "questlog.trinoAuth" $ctx }}
  access-control.properties: |
    access-control.name=file
    security.config-file=/var/lib/questlog/conf/trino/rules.json
    security.refresh-period=60s
  rules.json: |
    {{- include "trino.rules" $ctx | nindent 4 }}
  {{- if eq .role "coordinator" }}
  password-authenticator.properties: |
    password-authenticator.name=file
    file.password-file=/etc/questlog/trino-credentials/password.db
  {{- end }}
  {{- end }}
{{- end -}}

{{/*
Access rules of a locked Trino (file-based system access control, rules.json): first match wins,
no match denies. admin may do everything; the writers read and write (and create and drop) the
tables of lake.game and lake.marts, and own the schema lake.marts (derived data: the models CronJob
creates it when missing, as dbt does); the readers only read them and tpch. Nobody else can log in.
Only admin may CALL procedures (e.g. lake.system.rollback_to_snapshot). Trino 476's file-based
control lets anyone who sees a table run its table procedures (ALTER TABLE ... EXECUTE optimize,
expire_snapshots, remove_orphan_files): none of them removes live rows, and the lake catalog keeps
the 7-day floors on snapshot expiry and orphan removal (trino.lockedCatalog below).
*/}}
{{- define "trino.rules" -}}
{{- $auth := .Values.global.trinoAuth -}}
{{- $writers := join "|" ($auth.writeUsers | default list) -}}
{{- $readers := join "|" ($auth.readOnlyUsers | default list) -}}
{{- $everyone := join "|" (compact (list "admin" $writers $readers)) -}}
{{- $lake := "(game|marts)" -}}
{{- $catalogs := list (dict "user" "admin" "allow" "all") -}}
{{- $schemas := list (dict "user" "admin" "owner" true) -}}
{{- $tables := list (dict "user" "admin" "privileges" (list "SELECT" "INSERT" "DELETE" "UPDATE" "OWNERSHIP" "GRANT_SELECT")) -}}
{{- if $writers -}}
{{- $catalogs = append $catalogs (dict "user" $writers "catalog" "lake" "allow" "all") -}}
{{- $schemas = append $schemas (dict "user" $writers "catalog" "lake" "schema" "marts" "owner" true) -}}
{{- $tables = append $tables (dict "user" $writers "catalog" "lake" "schema" $lake "privileges" (list "SELECT" "INSERT" "DELETE" "UPDATE" "OWNERSHIP")) -}}
{{- end -}}
{{- $catalogs = append $catalogs (dict "user" $everyone "catalog" "(lake|tpch|system)" "allow" "read-only") -}}
{{- $tables = append $tables (dict "user" $everyone "catalog" "lake" "schema" $lake "privileges" (list "SELECT")) -}}
{{- $tables = append $tables (dict "user" $everyone "catalog" "tpch" "privileges" (list "SELECT")) -}}
{{- $tables = append $tables (dict "user" $everyone "catalog" "system" "schema" "(jdbc|metadata)" "privileges" (list "SELECT")) -}}
{{- toPrettyJson (dict
      "catalogs" $catalogs
      "schemas" $schemas
      "tables" $tables
      "procedures" (list (dict "user" "admin" "privileges" (list "EXECUTE" "GRANT_EXECUTE")))
      "queries" (list (dict "user" "admin" "allow" (list "execute" "kill" "view")) (dict "user" $everyone "allow" (list "execute")))
      "system_information" (list (dict "user" "admin" "allow" (list "read" "write")))) -}}
{{- end -}}

{{/* Catalog settings of a locked Trino: the floors that bound what a table procedure can remove
(any user who sees a table may run them, see trino.rules). Empty when Trino is open. */}}
{{- define "trino.lockedCatalog" -}}
{{- if include "questlog.trinoAuth" . }}
iceberg.expire-snapshots.min-retention: 7d
iceberg.remove-orphan-files.min-retention: 7d
{{- end }}
{{- end -}}
