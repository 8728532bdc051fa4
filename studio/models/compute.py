"""Computes: where pipeline steps run."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from studio.choices import SCHEDULABLE_COMPUTE_STATES, ComputeKind, ComputeState
from studio.engine_tls import EngineTLS


class Compute(models.Model):
    """A registered place to run steps: local processes or a Docker engine."""

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=ComputeKind.choices)
    description = models.TextField(blank=True)
    # Docker engine address (unix://, tcp://, ssh://); empty means the engine of DOCKER_HOST.
    engine_url = models.CharField(max_length=300, blank=True)
    # tcp:// engines: CA, client certificate and key (studio.engine_tls), encrypted; never shown back.
    engine_tls = models.TextField(blank=True, editable=False)
    engine_tls_fingerprint = models.CharField(max_length=80, blank=True, editable=False)
    max_concurrent_steps = models.PositiveIntegerField(default=2)
    cpus = models.FloatField(null=True, blank=True, help_text="CPUs available to steps")
    memory_mb = models.PositiveIntegerField(null=True, blank=True)
    gpu_ids = models.JSONField(default=list, blank=True, help_text="GPU device ids steps may use")
    # "none": step containers get no network at all; "bridge": Docker's default network. A step's
    # `resources.network: none` narrows bridge to none, never the other way round.
    network = models.CharField(
        max_length=16,
        choices=[("bridge", "bridge"), ("none", "none")],
        default="bridge",
        help_text="network of step containers: bridge, or none (no network at all)",
    )
    state = models.CharField(max_length=16, choices=ComputeState.choices, default=ComputeState.UNKNOWN)
    state_detail = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # What the engine reported at the last check: version, CPUs, memory, GPU runtime.
    engine_info = models.JSONField(default=dict, blank=True)
    # Registered by `studio up` from what it found on this host, rather than by a person.
    discovered = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_engine_tls(self, material: EngineTLS | None) -> None:
        """Keep the engine's TLS client material encrypted (None: forget it); the caller saves."""
        self.engine_tls = material.sealed() if material else ""
        self.engine_tls_fingerprint = material.fingerprint() if material else ""

    def engine_tls_material(self) -> EngineTLS | None:
        """The engine's TLS client material, decrypted; None when it has none."""
        return EngineTLS.unsealed(self.engine_tls) if self.engine_tls else None

    @property
    def is_schedulable(self) -> bool:
        """Whether new steps may start on this compute."""
        return self.state in SCHEDULABLE_COMPUTE_STATES

    def record_health(self, state: str, detail: str = "", engine_info: dict | None = None) -> None:
        """Store the outcome of a health check; a draining compute stays draining."""
        if self.state != ComputeState.DRAINING:
            self.state = state
        self.state_detail = detail[:500]
        self.checked_at = timezone.now()
        fields = ["state", "state_detail", "checked_at"]
        if engine_info is not None:
            self.engine_info = engine_info
            fields.append("engine_info")
        self.save(update_fields=fields)

    def drain(self, *, by=None) -> None:
        """Let running steps finish but start no new ones here (audit: compute.drain `by` that user)."""
        from studio import audit

        self.state = ComputeState.DRAINING
        self.state_detail = "draining: no new steps start here"
        self.save(update_fields=["state", "state_detail"])
        audit.record(by, "compute.drain", self)

    def resume(self, *, by=None) -> None:
        """Take new steps again; the next health check sets the real state (audit: compute.resume)."""
        from studio import audit

        self.state = ComputeState.UNKNOWN
        self.state_detail = ""
        self.save(update_fields=["state", "state_detail"])
        audit.record(by, "compute.resume", self)
