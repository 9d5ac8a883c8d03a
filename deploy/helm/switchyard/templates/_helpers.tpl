{{/* The chart's name, cut to the 63 characters a label value allows. */}}
{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name of every object: the release name, plus the chart's unless it already says it. */}}
{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Cluster-wide objects and those in kube-system are shared by every release: their names carry the release's namespace. */}}
{{- define "switchyard.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "switchyard.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object: Kubernetes' recommended ones and the cost labels Switchyard's policy asks of every object. */}}
{{- define "switchyard.labels" -}}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: server
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
switchyard.dev/team: {{ required "costLabels.team is required" .Values.costLabels.team | quote }}
switchyard.dev/product: {{ required "costLabels.product is required" .Values.costLabels.product | quote }}
switchyard.dev/cost-center: {{ required "costLabels.costCenter is required" .Values.costLabels.costCenter | quote }}
{{- end }}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "switchyard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The namespaces of the environments in this cluster, sorted, each once. */}}
{{- define "switchyard.managedNamespaces" -}}
{{- $out := list }}
{{- range .Values.environments }}
{{- if .namespace }}{{ $out = append $out .namespace }}{{ end }}
{{- end }}
{{- $out | uniq | sortAlpha | toJson }}
{{- end }}

{{/* Refuses values that cannot make a working server, with what to set. */}}
{{- define "switchyard.validate" -}}
{{- $git := .Values.config.git.url }}
{{- $claim := .Values.config.directory.existingClaim }}
{{- if and $git $claim }}
{{- fail "config: set either config.git.url or config.directory.existingClaim, not both" }}
{{- end }}
{{- if not (or $git $claim) }}
{{- fail "config: set config.git.url (the config repository) or config.directory.existingClaim (a claim holding it)" }}
{{- end }}
{{- if not .Values.environments }}
{{- fail "environments: name at least one environment to serve, e.g. --set environments[0].name=production,environments[0].namespace=video" }}
{{- end }}
{{- range .Values.environments }}
{{- if not .name }}{{ fail "environments: every entry needs a name" }}{{ end }}
{{- end }}
{{- $url := .Values.store.url }}
{{- $secret := .Values.store.existingSecret }}
{{- if and $url $secret }}
{{- fail "store: set either store.url (with store.passwordSecret) or store.existingSecret, not both" }}
{{- end }}
{{- if not (or $url $secret) }}
{{- fail "store: set store.url (postgres://user@host:5432/db, password in store.passwordSecret) or store.existingSecret (a Secret holding the URL); every replica shares that PostgreSQL" }}
{{- end }}
{{- if and $url (not (hasPrefix "postgres" $url)) }}
{{- fail "store.url: a postgres:// URL is needed; replicas cannot share an embedded store" }}
{{- end }}
{{- if and $url (regexMatch "^[a-z]+://[^/@]*:[^/@]*@" $url) }}
{{- fail "store.url holds a password: put it in a Secret and name it in store.passwordSecret" }}
{{- end }}
{{- end }}
