/// The route table: the single list the server registers, the OpenAPI test
/// compares against fleet/openapi.yaml, and tests drive in-process.
extension FleetAPI {
    static func makeRoutes() -> [Route] {
        func r(_ m: String, _ p: String, _ a: Access, large: Bool = false,
               _ h: @escaping @Sendable (FleetAPI, FleetRequest, Principal?) async throws -> FleetResponse) -> Route {
            Route(method: m, pattern: p, access: a, largeBody: large, handler: h)
        }
        return [
            r("GET", "/v1/health", .anyone) { api, _, _ in try await api.health() },
            r("GET", "/metrics", .anyone) { api, _, _ in
                FleetResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array(api.metrics.prometheus().utf8))
            },
            // Admin tokens and publisher keys
            r("POST", "/v1/admin-tokens", .admin) { api, req, p in try await api.createAdminToken(req, p!) },
            r("DELETE", "/v1/admin-tokens/{id}", .admin) { api, req, p in try await api.revokeAdminToken(req, p!) },
            r("GET", "/v1/publisher-keys", .admin) { api, _, _ in try await api.listKeys() },
            r("POST", "/v1/publisher-keys", .admin) { api, req, p in try await api.addKey(req, p!) },
            // Registry
            r("POST", "/v1/packages", .admin, large: true) { api, req, p in try await api.uploadPackage(req, p!) },
            r("GET", "/v1/packages/{digest}", .adminOrDevice) { api, req, _ in try await api.downloadPackage(req) },
            r("GET", "/v1/models", .admin) { api, _, _ in try await api.listModels() },
            r("GET", "/v1/models/{model}", .admin) { api, req, _ in try await api.modelVersions(req) },
            // Enrollment and devices
            r("POST", "/v1/enrollment-tokens", .admin) { api, req, p in try await api.createEnrollmentToken(req, p!) },
            r("DELETE", "/v1/enrollment-tokens/{id}", .admin) { api, req, p in try await api.revokeEnrollmentToken(req, p!) },
            r("POST", "/v1/enroll", .anyone) { api, req, _ in try await api.enroll(req) },
            r("GET", "/v1/devices", .admin) { api, _, _ in try await api.listDevices() },
            r("GET", "/v1/devices/{id}", .adminOrOwnDevice) { api, req, _ in try await api.device(req) },
            r("DELETE", "/v1/devices/{id}", .admin) { api, req, p in try await api.revokeDevice(req, p!) },
            r("GET", "/v1/devices/{id}/assignments", .adminOrOwnDevice) { api, req, _ in try await api.assignmentsResponse(req.param("id")) },
            r("PUT", "/v1/devices/{id}/assignments/{model}", .admin) { api, req, p in try await api.assign(req, p!) },
            // Device sync
            r("POST", "/v1/devices/{id}/checkin", .ownDevice) { api, req, _ in try await api.checkIn(req) },
            r("POST", "/v1/devices/{id}/events", .ownDevice) { api, req, _ in try await api.events(req) },
            r("POST", "/v1/devices/{id}/telemetry", .ownDevice) { api, req, _ in try await api.telemetry(req) },
            r("POST", "/v1/devices/{id}/drift", .ownDevice) { api, req, _ in try await api.drift(req) },
            // Staged rollouts
            r("POST", "/v1/rollouts", .admin) { api, req, p in try await api.createRollout(req, p!) },
            r("GET", "/v1/rollouts", .admin) { api, _, _ in try await api.listRollouts() },
            r("GET", "/v1/rollouts/{id}", .admin) { api, req, _ in .json(try await api.rolloutJSON(req.param("id"))) },
            r("POST", "/v1/rollouts/{id}/evaluate", .admin) { api, req, p in try await api.rolloutAction(req, p!, "evaluate") },
            r("POST", "/v1/rollouts/{id}/promote", .admin) { api, req, p in try await api.rolloutAction(req, p!, "promote") },
            r("POST", "/v1/rollouts/{id}/pause", .admin) { api, req, p in try await api.rolloutAction(req, p!, "pause") },
            r("POST", "/v1/rollouts/{id}/resume", .admin) { api, req, p in try await api.rolloutAction(req, p!, "resume") },
            r("POST", "/v1/rollouts/{id}/abort", .admin) { api, req, p in try await api.rolloutAction(req, p!, "abort") },
            r("POST", "/v1/rollouts/{id}/rollback", .admin) { api, req, p in try await api.rolloutAction(req, p!, "rollback") },
            // Observation
            r("GET", "/v1/drift", .admin) { api, req, _ in try await api.mergedDrift(req) },
            r("GET", "/v1/audit", .admin) { api, req, _ in try await api.auditLog(req) },
            r("GET", "/v1/alerts", .admin) { api, _, _ in try await api.alertsResponse() },
            r("GET", "/v1/webhook-deliveries", .admin) { api, req, _ in try await api.webhookDeliveries(req) },
        ]
    }
}
