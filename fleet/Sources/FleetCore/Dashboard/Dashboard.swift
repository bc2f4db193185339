import Foundation
import OutpostJSON

/// The server-rendered dashboard under `/ui`: plain HTML with inline SVG, no
/// scripts (the Content-Security-Policy forbids them). Signing in exchanges an
/// admin token for an HttpOnly, SameSite=Strict cookie; the pages only read.
extension FleetAPI {
    static let sessionCookie = "outpost_admin"

    static func isDashboardPath(_ path: String) -> Bool { path == "/" || path == "/ui" || path.hasPrefix("/ui/") }

    /// Entry point for every dashboard request (from `handle`).
    func dashboard(_ request: FleetRequest) async -> FleetResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let segments = request.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let response: FleetResponse
        do {
            response = try await dashboardRoute(request, Array(segments.dropFirst()))
        } catch let e as APIError {
            response = page(status: e.status, title: "Error", nav: "", principal: nil, body: "<p class=\"error\">\(e.message)</p>")
        } catch {
            logger.error("dashboard error", metadata: ["path": "\(request.path)", "error": "\(error)"])
            response = page(status: 500, title: "Error", nav: "", principal: nil, body: "<p class=\"error\">internal error; see the server log</p>")
        }
        metrics.record(route: (["GET", "POST"].contains(request.method) ? request.method : "OTHER") + " " + FleetAPI.dashboardRouteLabel(Array(segments.dropFirst())), status: response.status, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return response
    }

    /// Metric label of a dashboard path: known pages by name, everything else
    /// as one label (arbitrary paths must not grow the metrics without bound).
    static func dashboardRouteLabel(_ s: [String]) -> String {
        let pages: Set<String> = ["login", "logout", "style.css", "devices", "models", "rollouts", "drift", "alerts", "audit"]
        if s.isEmpty { return "/ui" }
        if s.count == 1, pages.contains(s[0]) { return "/ui/" + s[0] }
        if s.count == 2, ["devices", "models", "rollouts"].contains(s[0]) { return "/ui/\(s[0])/{id}" }
        return "/ui/*"
    }

    private func dashboardRoute(_ req: FleetRequest, _ s: [String]) async throws -> FleetResponse {
        if req.path == "/" { return FleetAPI.redirect("/ui") }
        if s == ["style.css"] { return FleetResponse(status: 200, headers: [("Content-Type", "text/css; charset=utf-8"), ("Cache-Control", "max-age=300")], body: Array(DashboardStyle.css.utf8)) }
        if s == ["login"] {
            if req.method == "POST" { return try await login(req) }
            guard req.method == "GET" else { throw APIError(405, "method_not_allowed", "use GET or POST on /ui/login") }
            return loginPage(message: nil, status: 200)
        }
        guard let principal = await sessionPrincipal(req) else {
            // Pages redirect to the form; nothing is shown without a valid admin token.
            return FleetAPI.redirect("/ui/login")
        }
        if s == ["logout"] {
            guard req.method == "POST" else { throw APIError(405, "method_not_allowed", "sign out with the form's POST") }
            var r = FleetAPI.redirect("/ui/login")
            r.headers.append(("Set-Cookie", "\(FleetAPI.sessionCookie)=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0"))
            return r
        }
        guard req.method == "GET" else { throw APIError(405, "method_not_allowed", "the dashboard only reads; use the API or the admin CLI to change things") }
        switch s.count {
        case 0: return try await overviewPage(principal)
        case 1:
            switch s[0] {
            case "devices": return try await devicesPage(principal)
            case "models": return try await modelsPage(principal)
            case "rollouts": return try await rolloutsPage(principal)
            case "drift": return try await driftPage(req, principal)
            case "alerts": return try await alertsPage(principal)
            case "audit": return try await auditPage(req, principal)
            default: break
            }
        case 2:
            switch s[0] {
            case "devices": return try await devicePage(s[1], principal)
            case "models": return try await modelPage(s[1], principal)
            case "rollouts": return try await rolloutPage(s[1], principal)
            default: break
            }
        default: break
        }
        throw APIError.notFound("no dashboard page \(req.path)")
    }

    // MARK: sign-in

    func sessionPrincipal(_ req: FleetRequest) async -> Principal? {
        guard let token = FleetAPI.cookies(req.headers["cookie"] ?? "")[FleetAPI.sessionCookie], !token.isEmpty,
              let p = try? await authenticate(token), case .admin = p else { return nil }
        return p
    }

    func login(_ req: FleetRequest) async throws -> FleetResponse {
        let form = FleetAPI.formFields(String(decoding: req.body, as: UTF8.self))
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard Tokens.parse(token, .admin) != nil else {
            return loginPage(message: "That is not an admin token (opa_…); device credentials and enrollment tokens cannot sign in.", status: 401)
        }
        let p: Principal
        do { p = try await authenticate(token) } catch let e as APIError {
            return loginPage(message: "Sign-in refused: \(e.message).", status: 401)
        }
        let now = self.now
        try await db.transaction { tx in
            try await FleetAPI.audit(tx, now: now, actor: p.actor, action: "dashboard.login", subject: "dashboard", detail: "signed in to the dashboard")
        }
        var r = FleetAPI.redirect("/ui")
        r.headers.append(("Set-Cookie", "\(FleetAPI.sessionCookie)=\(token); Path=/ui; HttpOnly; SameSite=Strict; Max-Age=43200"))
        return r
    }

    func loginPage(message: String?, status: Int) -> FleetResponse {
        let msg: HTML = message.map { (m: String) -> HTML in "<p class=\"error\" id=\"login-error\">\(m)</p>" } ?? ""
        return page(status: status, title: "Sign in", nav: "", principal: nil, body: """
            \(msg)
            <form method="post" action="/ui/login" class="login">
              <label for="token">Admin token</label>
              <input type="password" id="token" name="token" autocomplete="off" placeholder="opa_…" required>
              <button type="submit" id="sign-in">Sign in</button>
            </form>
            <p class="muted">The server wrote the bootstrap token to DATA/admin-token on first start; create named ones with
            <code>outpost-fleet tokens create admin --name you</code>.</p>
            """)
    }

    // MARK: HTTP helpers

    static func redirect(_ to: String) -> FleetResponse {
        FleetResponse(status: 303, headers: [("Location", to), ("Cache-Control", "no-store")])
    }

    static func cookies(_ header: String) -> [String: String] {
        var out = [String: String]()
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces) }
        }
        return out
    }

    /// application/x-www-form-urlencoded
    static func formFields(_ body: String) -> [String: String] {
        var out = [String: String]()
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let k = kv.first { out[k] = kv.count > 1 ? kv[1] : "" }
        }
        return out
    }

    /// The page frame: navigation, sign-out, security headers.
    func page(status: Int = 200, title: String, nav: String, principal: Principal?, body: HTML) -> FleetResponse {
        let items: [(String, String)] = [("overview", "/ui"), ("devices", "/ui/devices"), ("models", "/ui/models"), ("rollouts", "/ui/rollouts"),
                                         ("drift", "/ui/drift"), ("alerts", "/ui/alerts"), ("audit", "/ui/audit")]
        var navHTML: HTML = ""
        if let p = principal {
            let links = items.map { (item: (String, String)) -> HTML in
                let (name, href) = item
                return "<a href=\"\(href)\" id=\"nav-\(name)\"\(HTML(raw: name == nav ? " class=\"active\"" : ""))>\(name.capitalized)</a>"
            }
            navHTML = """
                <nav>\(links)<span class="who">\(p.actor)</span>
                <form method="post" action="/ui/logout" class="inline"><button type="submit" id="sign-out">Sign out</button></form></nav>
                """
        }
        let html: HTML = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Outpost fleet</title><link rel="stylesheet" href="/ui/style.css"></head>
            <body><header><a class="brand" href="/ui">Outpost fleet</a>\(navHTML)</header>
            <main><h1>\(title)</h1>
            \(body)
            </main><footer>Times are UTC. Page rendered \(FleetAPI.utc(now)).</footer></body></html>
            """
        return FleetResponse(status: status, headers: [
            ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ], body: Array(html.raw.utf8))
    }

    static func utc(_ t: Int?) -> String {
        guard let t else { return "never" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    /// "3 min ago" relative to the server clock.
    func ago(_ t: Int?) -> String {
        guard let t else { return "never" }
        let d = now - t
        if d < 0 { return "in the future" }
        if d < 90 { return "\(d) s ago" }
        if d < 5400 { return "\(d / 60) min ago" }
        if d < 172_800 { return "\(d / 3600) h ago" }
        return "\(d / 86400) days ago"
    }
}
