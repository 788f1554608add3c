/** Who is calling: the current user and its roles (what integrations call to check a token), and token validation. */
import * as Effect from "effect/Effect"
import { ok, type Route, route, type RouteContext, status } from "../Route.ts"

const currentUser = (context: RouteContext) =>
  Effect.succeed(ok({
    id: context.user.id,
    app_id: context.user.appId,
    email: context.user.email,
    first_name: context.user.first_name,
    last_name: context.user.last_name,
    is_admin: context.user.admin,
    status: "ACTIVE",
    type: "POWER",
    groups: [],
    system_domain_id: context.state.systemDomainId,
    system_domains: [context.state.systemDomainId]
  }))

const currentRoles = (context: RouteContext) => Effect.succeed(ok({ objects: [...context.user.roles] }))

export const userRoutes: ReadonlyArray<Route> = [
  route("GET", "/API/users/v1/users/current/", currentUser),
  route("GET", "/API/users/v1/users/current/roles/", currentRoles),
  // Reaching the handler means the App-ID / Auth-Token pair was accepted.
  route("GET", "/API/auth/v1/auth/token/", () => Effect.succeed(status(200)))
]
