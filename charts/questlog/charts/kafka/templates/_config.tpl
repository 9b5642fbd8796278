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
{{- if include "questlog.kafkaAuth" . -}}
{{- /* Passwords never enter the ConfigMap: the broker reads them from the mounted Secret (DirectoryConfigProvider). */ -}}
{{- $dir := include "questlog.kafkaCredentialsDir" . -}}
{{- $admin := printf "${dir:%s:admin-password}" $dir -}}
{{- $controller := printf "${dir:%s:controller-password}" $dir -}}
{{- $scram := printf "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"%s\";" $admin -}}
{{- $plain := printf "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"controller\" password=\"%s\" user_controller=\"%s\";" $controller $controller -}}
{{- $overrides = mergeOverwrite $overrides (dict
  "listeners" (printf "CLIENT://:%v,CONTROLLER://:9093" .Values.global.ports.kafka)
  "advertised.listeners" (printf "CLIENT://@POD_NAME@.%s.%s:%v" $headless $domain .Values.global.ports.kafka)
  "listener.security.protocol.map" "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
  "inter.broker.listener.name" "CLIENT"
  "sasl.mechanism.inter.broker.protocol" "SCRAM-SHA-512"
  "sasl.mechanism.controller.protocol" "PLAIN"
  "listener.name.client.sasl.enabled.mechanisms" "SCRAM-SHA-512"
  "listener.name.client.scram-sha-512.sasl.jaas.config" $scram
  "listener.name.controller.sasl.enabled.mechanisms" "PLAIN"
  "listener.name.controller.plain.sasl.jaas.config" $plain
  "config.providers" "dir"
  "config.providers.dir.class" "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
  "config.providers.dir.param.allowed.paths" $dir
  "authorizer.class.name" "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
  "allow.everyone.if.no.acl.found" "false"
  "super.users" "User:admin;User:controller"
) -}}
{{- end -}}
{{- include "questlog.renderConfig" (dict "ctx" . "file" "files/server.properties" "format" "properties"
      "vars" (dict "QL_VAR" "/var/lib/questlog")
      "overrides" (merge (deepCopy .Values.config) $overrides)) -}}
{{- end -}}

{{/* The compacted topics' configs for kafka-create-topics (KAFKA_COMPACTED_CONFIG): key=value,... from
topics.compactedConfig; the script adds cleanup.policy=compact itself. */}}
{{- define "kafka.compactedConfig" -}}
{{- $entries := list -}}
{{- range $key, $value := .Values.topics.compactedConfig -}}
{{- if or (contains "," (toString $value)) (contains "=" (toString $value)) -}}
{{- fail (printf "kafka.topics.compactedConfig.%s: a value may hold no , or =" $key) -}}
{{- end -}}
{{- $entries = append $entries (printf "%s=%s" $key (toString $value)) -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}
