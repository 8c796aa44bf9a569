{{/*
Names, labels and the few architecture facts the templates share.
*/}}

{{- define "comptoir.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-wide prefix of every object: `comptoir` for a release named comptoir. */}}
{{- define "comptoir.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "comptoir.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "comptoir.labels" -}}
helm.sh/chart: {{ include "comptoir.chart" . }}
app.kubernetes.io/name: {{ include "comptoir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: comptoir
{{- end }}

{{/* Selector of one component's pods; call with (dict "root" $ "component" "billing"). */}}
{{- define "comptoir.selectorLabels" -}}
app.kubernetes.io/name: {{ include "comptoir.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Name of one component's objects, e.g. comptoir-billing. */}}
{{- define "comptoir.componentName" -}}
{{- printf "%s-%s" (include "comptoir.fullname" .root) .component }}
{{- end }}

{{- define "comptoir.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "comptoir.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image of a service: its own repository/tag when set, else the shared image. */}}
{{- define "comptoir.image" -}}
{{- $repository := default .root.Values.image.repository .service.image.repository }}
{{- $tag := default (default .root.Chart.AppVersion .root.Values.image.tag) .service.image.tag }}
{{- if .root.Values.image.digest }}
{{- printf "%s@%s" $repository .root.Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
{{- end }}

{{/*
The synchronous calls DESIGN.md allows, caller -> callees. NetworkPolicies are derived
from this one map (egress of the caller, ingress of the callee). It is architecture, not
configuration, so it is not a value.
*/}}
{{- define "comptoir.calls" -}}
identity: [tenancy]
tenancy: [identity]
billing: [identity]
accountant-portal: [identity, tenancy, billing]
export: [identity, accountant-portal]
{{- end }}

{{/* Postgres schema (and role suffix) of a service: accountant-portal -> accountant_portal. */}}
{{- define "comptoir.schema" -}}
{{- . | replace "-" "_" }}
{{- end }}

{{/* Secret holding the database URLs: the operator's, or the generated dev one. */}}
{{- define "comptoir.databaseSecret" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else if .Values.postgresql.bundled }}
{{- printf "%s-database" (include "comptoir.fullname" .) }}
{{- else }}
{{- fail "database.existingSecret is required when postgresql.bundled is false: name the Secret holding <service>-database-url keys (see the chart README)" }}
{{- end }}
{{- end }}

{{- define "comptoir.postgresqlHost" -}}
{{- printf "%s-postgresql" (include "comptoir.fullname" .) }}
{{- end }}

{{- define "comptoir.natsHost" -}}
{{- printf "%s-nats" (include "comptoir.fullname" .) }}
{{- end }}

{{/* NATS URL given to the services when it does not come from a Secret. */}}
{{- define "comptoir.natsUrl" -}}
{{- if .Values.nats.bundled }}
{{- printf "nats://%s:4222" (include "comptoir.natsHost" .) }}
{{- else if .Values.nats.url }}
{{- .Values.nats.url }}
{{- else if not .Values.nats.existingSecret }}
{{- fail "nats.url (or nats.existingSecret) is required when nats.bundled is false" }}
{{- end }}
{{- end }}

{{/* Restricted pod security context shared by every pod the chart runs. */}}
{{- define "comptoir.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}
