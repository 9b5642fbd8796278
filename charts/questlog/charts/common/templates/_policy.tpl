{{/*
NetworkPolicy of a component: ingress only from pods of the same release, on the listed ports;
"external" also admits any source on those ports (the API; Trino on kind); "extraFrom" adds peers.
Usage: include "questlog.networkPolicy" (dict "ctx" $ "component" "kafka" "ports" (list 9092 9093)
         "external" false "extraFrom" .Values.networkPolicy.extraFrom)
*/}}
{{- define "questlog.networkPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  {{- include "questlog.metadata" (list .ctx .component) | nindent 2 }}
spec:
  podSelector:
    matchLabels:
      {{- include "questlog.selectorLabels" (list .ctx .component) | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              {{- include "questlog.releaseSelector" .ctx | nindent 14 }}
        {{- with .extraFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        {{- range .ports }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
    {{- if .external }}
    # reachable from outside the release (other namespaces, node ports, load balancers)
    - ports:
        {{- range .ports }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
    {{- end }}
{{- end -}}

{{/*
PodDisruptionBudget of a component from its values.podDisruptionBudget (maxUnavailable or minAvailable).
Usage: include "questlog.pdb" (list $ "kafka")
*/}}
{{- define "questlog.pdb" -}}
{{- $ctx := index . 0 -}}
{{- $pdb := $ctx.Values.podDisruptionBudget -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "questlog.metadata" . | nindent 2 }}
spec:
  {{- if not (kindIs "invalid" $pdb.minAvailable) }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "questlog.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/* A ServiceAccount that mounts no API token (the component never calls the Kubernetes API). */}}
{{- define "questlog.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  {{- include "questlog.metadata" . | nindent 2 }}
automountServiceAccountToken: false
{{- end -}}
