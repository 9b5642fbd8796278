{{/* server.properties: the local stack's file, with cluster addresses and replication from values. */}}
{{- define "kafka.serverProperties" -}}
{{- $headless := printf "%s-headless" (include "questlog.componentName" (list . "kafka")) -}}
{{- $domain := printf "%s.svc.%s" .Release.Namespace .Values.global.clusterDomain -}}
{{- $voters := list -}}
{{- range $i := until (int .Values.replicaCount) -}}
{{- $voters = append $voters (printf "%d@%s-%d.%s.%s:9093" $i (include "questlog.componentName" (list $ "kafka")) $i $headless $domain) -}}
{{- end -}}
{{- $rf := int .Values.replicationFactor -}}
{{- $isr := min (int .Values.minInsyncReplicas) $rf -}}
{{- $overrides := dict
  "node.id" "@NODE_ID@"
  "controller.quorum.voters" (join "," $voters)
  "listeners" (printf "PLAINTEXT://:%v,CONTROLLER://:9093" .Values.global.ports.kafka)
  "advertised.listeners" (printf "PLAINTEXT://@POD_NAME@.%s.%s:%v" $headless $domain .Values.global.ports.kafka)
  "default.replication.factor" $rf
  "min.insync.replicas" $isr
  "offsets.topic.replication.factor" $rf
  "transaction.state.log.replication.factor" $rf
  "transaction.state.log.min.isr" $isr
  "share.coordinator.state.topic.replication.factor" $rf
  "share.coordinator.state.topic.min.isr" $isr
-}}
{{- include "questlog.renderConfig" (dict "ctx" . "file" "files/server.properties" "format" "properties"
      "vars" (dict "QL_VAR" "/var/lib/questlog")
      "overrides" (merge (deepCopy .Values.config) $overrides)) -}}
{{- end -}}
