{{/* Names: the release name, or <release>-logistis when the release name does not say logistis. */}}
{{- define "logistis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "logistis.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "logistis.serviceAccountName" -}}
{{- default (include "logistis.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "logistis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "logistis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "logistis.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "logistis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The in-cluster DNS name that the API server checks the serving certificate against. */}}
{{- define "logistis.serviceHost" -}}
{{- printf "%s.%s.svc" (include "logistis.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "logistis.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "logistis.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{- define "logistis.redactionSecretName" -}}
{{- default (printf "%s-redaction-key" (include "logistis.fullname" .)) .Values.redactionKey.existingSecret -}}
{{- end -}}

{{- define "logistis.certManagerCertificate" -}}
{{- printf "%s-serving" (include "logistis.fullname" .) -}}
{{- end -}}

{{- define "logistis.clientAuthEnabled" -}}
{{- $enabled := .Values.webhook.clientAuth.enabled -}}
{{- if kindIs "bool" $enabled -}}
{{- if $enabled }}true{{ end -}}
{{- else if .Values.webhook.clientAuth.caBundle -}}
true
{{- end -}}
{{- end -}}

{{/*
The serving certificate and its CA, as {caBundle, cert, key} (each base64): from an existing Secret, from the
Secret this chart created on an earlier install (so an upgrade keeps the CA that the API server trusts), or newly
generated. Cached in .Values so that the Secret, the webhook and the APIService all see the same CA in one render.
*/}}
{{- define "logistis.tls" -}}
{{- if not (hasKey .Values "_generatedTls") -}}
{{- $tls := dict -}}
{{- if .Values.certManager.enabled -}}
{{- $_ := set $tls "caBundle" "" -}}
{{- else if .Values.tls.existingSecret -}}
{{- $_ := set $tls "caBundle" (required "tls.caBundle (base64 of the PEM CA) is required with tls.existingSecret" .Values.tls.caBundle) -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "logistis.tlsSecretName" .) -}}
{{- if and $existing (index ($existing.data | default dict) "ca.crt") -}}
{{- $_ := set $tls "caBundle" (index $existing.data "ca.crt") -}}
{{- $_ := set $tls "cert" (index $existing.data "tls.crt") -}}
{{- $_ := set $tls "key" (index $existing.data "tls.key") -}}
{{- else -}}
{{- $host := include "logistis.serviceHost" . -}}
{{- $ca := genCA (printf "%s-ca" (include "logistis.fullname" .)) (int .Values.tls.validityDays) -}}
{{- $cert := genSignedCert $host nil (list $host (printf "%s.%s" (include "logistis.fullname" .) .Release.Namespace) (printf "%s.cluster.local" $host)) (int .Values.tls.validityDays) $ca -}}
{{- $_ := set $tls "caBundle" ($ca.Cert | b64enc) -}}
{{- $_ := set $tls "cert" ($cert.Cert | b64enc) -}}
{{- $_ := set $tls "key" ($cert.Key | b64enc) -}}
{{- end -}}
{{- end -}}
{{- $_ := set .Values "_generatedTls" $tls -}}
{{- end -}}
{{- toJson .Values._generatedTls -}}
{{- end -}}

{{- define "logistis.caInjectAnnotation" -}}
{{- if .Values.certManager.enabled }}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "logistis.certManagerCertificate" .) }}
{{- end -}}
{{- end -}}

{{/*
Renders a file of files/ through `tpl`, then adds the chart's labels. Comment lines go first: the files' headers
quote placeholder syntax (`{{ .Values.<path> }}`) that the template parser would otherwise try to run.
*/}}
{{- define "logistis.renderFile" -}}
{{- $text := regexReplaceAll "(?m)^[ \t]*#.*$" (.root.Files.Get .file) "" -}}
{{- $object := tpl $text (dict "Values" .values "Template" .root.Template) | fromYaml -}}
{{- if hasKey $object "Error" -}}
{{- fail (printf "%s: %s" .file $object.Error) -}}
{{- end -}}
{{- $metadata := $object.metadata -}}
{{- $_ := set $metadata "labels" (merge ($metadata.labels | default dict) (include "logistis.labels" .root | fromYaml)) -}}
{{- toYaml $object -}}
{{- end -}}

{{/* The server's --config file. Explicit `config` values win over those derived from the blocks above. */}}
{{- define "logistis.serverConfig" -}}
{{- $config := dict
  "maxEventsPerObject" (int .Values.retention.maxEventsPerObject)
  "maxAge" (toString .Values.retention.maxAge)
  "maxBodyBytes" (toString .Values.capture.maxBodyBytes)
  "commitTimeout" (toString .Values.capture.commitTimeout)
  "normalise" (toString .Values.capture.normalise)
  "recordUnchanged" .Values.capture.recordUnchanged
  "maxLogBytes" (toString .Values.log.maxBytes)
  "logDrainTimeout" (toString .Values.log.drainTimeout)
  "logLevel" .Values.logLevel -}}
{{- with .Values.capture.presets }}
{{- $_ := set $config "capturePresets" (join "," .) }}
{{- end }}
{{- if .Values.capture.rules }}
{{- $_ := set $config .Values.capture.rulesConfigKey "/etc/logistis/config/rules.yaml" }}
{{- end }}
{{- toYaml (merge (deepCopy .Values.config) $config) -}}
{{- end -}}

{{/* The Service port the webhook calls: the capture listener's, or the main port's when that listener is off. */}}
{{- define "logistis.captureServicePort" -}}
{{- if .Values.capture.listener.enabled -}}
{{- int .Values.capture.listener.port -}}
{{- else -}}
{{- int .Values.service.port -}}
{{- end -}}
{{- end -}}

{{/*
NetworkPolicy peers of capture.networkPolicy, as {"peers": [...]}: one ipBlock per control-plane address (a bare
address becomes /32 or /128), then capture.networkPolicy.from. Empty unless the capture listener is on.
*/}}
{{- define "logistis.captureControlPlanePeers" -}}
{{- $peers := list -}}
{{- if and .Values.capture.listener.enabled .Values.capture.networkPolicy.enabled -}}
{{- range .Values.capture.networkPolicy.controlPlaneCIDRs -}}
{{- $cidr := ternary . (printf "%s/%s" . (ternary "128" "32" (contains ":" .))) (contains "/" .) -}}
{{- $peers = append $peers (dict "ipBlock" (dict "cidr" $cidr)) -}}
{{- end -}}
{{- $peers = concat $peers (.Values.capture.networkPolicy.from | default list) -}}
{{- end -}}
{{- toJson (dict "peers" $peers) -}}
{{- end -}}

{{/*
Who may reach /capture over the network, as {"peers": [...]}: the control-plane peers above, else the main
port's networkPolicy.from (when that policy is on). Empty: anyone who can reach the pod.
*/}}
{{- define "logistis.capturePeers" -}}
{{- $peers := (include "logistis.captureControlPlanePeers" . | fromJson).peers -}}
{{- if and (not $peers) .Values.networkPolicy.enabled -}}
{{- $peers = .Values.networkPolicy.from | default list -}}
{{- end -}}
{{- toJson (dict "peers" $peers) -}}
{{- end -}}

{{/*
Bytes of a size as the server (3MiB, 8GiB, 512k) or Kubernetes (9Gi, 10G) writes it, as an integer; empty when
the text is no such size. For checking that the commit log's volume is larger than --max-log-bytes.
*/}}
{{- define "logistis.bytes" -}}
{{- $units := dict "" 1 "b" 1 "k" 1000 "kb" 1000 "ki" 1024 "kib" 1024 "m" 1000000 "mb" 1000000 "mi" 1048576 "mib" 1048576
  "g" 1000000000 "gb" 1000000000 "gi" 1073741824 "gib" 1073741824 "t" 1000000000000 "tb" 1000000000000 "ti" 1099511627776 "tib" 1099511627776 -}}
{{- $text := toString . | trim -}}
{{- if regexMatch "^[0-9]+(\\.[0-9]+)?[a-zA-Z]*$" $text -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $text -}}
{{- $unit := lower (trimPrefix $number $text) -}}
{{- if hasKey $units $unit -}}
{{- mulf (float64 $number) (index $units $unit) | int64 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Seconds of a duration as the server writes it (20s, 1m30s, 500ms), rounded up; empty when it is none. */}}
{{- define "logistis.seconds" -}}
{{- $units := dict "ms" 0.001 "s" 1 "m" 60 "h" 3600 "d" 86400 "w" 604800 -}}
{{- $text := toString . | trim -}}
{{- if regexMatch "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w))+$" $text -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w)" $text -1 -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" . -}}
{{- $total = addf $total (mulf (float64 $number) (index $units (trimPrefix $number .))) -}}
{{- end -}}
{{- ceil $total | int64 -}}
{{- end -}}
{{- end -}}
