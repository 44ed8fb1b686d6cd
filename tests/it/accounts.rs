//! Accounts from the browser (admin): create, refuse an area role without
//! areas, change, disable (ends sessions, sign-in fails), reset a password
//! (ends sessions), all audited; nobody else may.

use serde_json::json;

use crate::common::{Backend, PASSWORD, TestApp, fixture};

#[tokio::test]
async fn admins_manage_accounts_and_nobody_else_may() {
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let admin = app.login_as("admin").await;
        let (s, v) = app
            .post_json_as(
                Some(&admin),
                "/api/admin/users",
                &json!({"username": "li", "role": "grid", "areas": [], "password": "grid-head-li"}),
            )
            .await;
        assert_eq!(
            (s, &v["error"]),
            (400, &json!("area_required")),
            "{backend:?}: an area role needs an area: {v}"
        );
        let (s, v) = app
            .post_json_as(Some(&admin), "/api/admin/users", &json!({"username": "li", "role": "grid", "areas": [fixture::EAST_NORTH_GRID], "password": "grid-head-li"}))
            .await;
        assert_eq!(s, 201, "{backend:?}: {v}");
        let (s, _) = app
            .post_json_as(Some(&admin), "/api/admin/users", &json!({"username": "li", "role": "grid", "areas": [fixture::EAST_NORTH_GRID], "password": "grid-head-li"}))
            .await;
        assert_eq!(s, 409, "{backend:?}: a taken name");
        let (_, list) = app.get_json_as(&admin, "/api/admin/users").await;
        let li = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "li")
            .cloned()
            .unwrap();
        assert_eq!(
            li,
            json!({"username": "li", "role": "grid", "areas": [fixture::EAST_NORTH_GRID], "disabled": false}),
            "{backend:?}"
        );

        let li_token = app.login_with("li", "grid-head-li").await;
        let (_, me) = app.get_json_as(&li_token, "/api/me").await;
        assert_eq!(
            me["areas"],
            json!([fixture::EAST_NORTH_GRID]),
            "{backend:?}"
        );
        // Move him to another grid: his rights follow at once.
        let (s, _) = app
            .post_json_as(
                Some(&admin),
                "/api/admin/users/li",
                &json!({"areas": [fixture::WEST_SOUTH_GRID]}),
            )
            .await;
        assert_eq!(s, 200, "{backend:?}");
        let (_, inc) = app.get_json_as(&li_token, "/api/incidents").await;
        assert_eq!(
            inc["total"], 4,
            "{backend:?}: he now sees the west-south grid's incidents: {inc}"
        );
        // Disable: his session ends and he cannot sign in.
        let (s, v) = app
            .post_json_as(
                Some(&admin),
                "/api/admin/users/li",
                &json!({"disabled": true}),
            )
            .await;
        assert_eq!((s, &v["disabled"]), (200, &json!(true)), "{backend:?}: {v}");
        let (s, _) = app.get_json_as(&li_token, "/api/me").await;
        assert_eq!(s, 401, "{backend:?}: disabling ends the account's sessions");
        let (s, _) = app
            .post_json_as(
                None,
                "/api/auth/login",
                &json!({"username": "li", "password": "grid-head-li"}),
            )
            .await;
        assert_eq!(s, 401, "{backend:?}: a disabled account cannot sign in");
        // Enable and reset the password: the old one no longer works, the new one does.
        let (s, _) = app
            .post_json_as(
                Some(&admin),
                "/api/admin/users/li",
                &json!({"disabled": false, "password": "a-new-password"}),
            )
            .await;
        assert_eq!(s, 200, "{backend:?}");
        let (s, _) = app
            .post_json_as(
                None,
                "/api/auth/login",
                &json!({"username": "li", "password": "grid-head-li"}),
            )
            .await;
        assert_eq!(s, 401, "{backend:?}: the old password is gone");
        let fresh = app.login_with("li", "a-new-password").await;
        let (s, _) = app
            .post_json_as(
                Some(&admin),
                "/api/admin/users/li",
                &json!({"password": "another-one-9"}),
            )
            .await;
        assert_eq!(s, 200);
        let (s, _) = app.get_json_as(&fresh, "/api/me").await;
        assert_eq!(s, 401, "{backend:?}: a reset ends the account's sessions");
        // Every change is in the audit log.
        let audit = app.store().audit_log(20, 0).await.unwrap();
        let changes = audit
            .iter()
            .filter(|a| a.action.starts_with("account.") && a.records == ["li"])
            .count();
        assert!(
            changes >= 5,
            "{backend:?}: each change is audited ({changes})"
        );
        // Nobody else may.
        for user in ["command", "west_grid", "flood", "public"] {
            let t = app.login_as(user).await;
            let (s, _) = app.get_json_as(&t, "/api/admin/users").await;
            assert_eq!(s, 403, "{backend:?}: {user} does not list accounts");
            let (s, _) = app
                .post_json_as(
                    Some(&t),
                    "/api/admin/users",
                    &json!({"username": "x", "role": "admin", "password": PASSWORD}),
                )
                .await;
            assert_eq!(s, 403, "{backend:?}: {user} does not create accounts");
        }
        let (s, _) = app.get_json("/api/admin/users").await;
        assert_eq!(s, 401);
        let (s, v) = app
            .post_json_as(
                Some(&admin),
                "/api/admin/users/admin",
                &json!({"disabled": true}),
            )
            .await;
        assert_eq!(
            s, 400,
            "{backend:?}: an admin does not lock themself out: {v}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_session_in_use_renews_so_a_wall_left_signed_in_stays_signed_in() {
    use minqing::auth::password::token_hash;
    for backend in Backend::BOTH {
        let app = TestApp::fixture(backend).await;
        let token = app.login_as("command").await;
        let hash = token_hash(&token);
        let store = &app.state.store;
        let expiry = || async {
            store
                .session(&hash)
                .await
                .unwrap()
                .expect("session")
                .expires_at
        };
        let hours_left = |at: chrono::DateTime<chrono::Utc>| {
            (at - chrono::Utc::now()).num_minutes() as f64 / 60.0
        };
        // An hour from its end, the screen still asks things: the session moves on.
        store
            .renew_session(&hash, chrono::Utc::now() + chrono::Duration::hours(1))
            .await
            .unwrap();
        let (s, _) = app.get_json_as(&token, "/api/incidents?limit=1").await;
        assert_eq!(s, 200);
        let left = hours_left(expiry().await);
        assert!(
            left > 11.0,
            "{backend:?}: a session used in its last hour is renewed to a full 12 h, {left:.2} h left"
        );
        // Early in its life, use does not write (one renewal per half-life).
        store
            .renew_session(&hash, chrono::Utc::now() + chrono::Duration::hours(8))
            .await
            .unwrap();
        let (s, _) = app.get_json_as(&token, "/api/incidents?limit=1").await;
        assert_eq!(s, 200);
        let left = hours_left(expiry().await);
        assert!(
            left < 8.1,
            "{backend:?}: a session with 8 h left is not rewritten on every request, {left:.2} h left"
        );
        // The wall's page asks /api/me with its cookie: the session renews in full and the
        // browser gets fresh cookies (same token, a full Max-Age), or it would drop them at 12 h.
        let r = app
            .client
            .get(app.url("/api/me"))
            .header("cookie", format!("minqing_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{backend:?}: /api/me by cookie");
        let cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap().to_owned())
            .collect();
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with(&format!("minqing_session={token};"))
                    && c.contains("Max-Age=43200")),
            "{backend:?}: /api/me re-sends the session cookie for another 12 h: {cookies:?}"
        );
        assert!(
            cookies.iter().any(|c| c.starts_with("minqing_csrf=")),
            "{backend:?}: and the CSRF cookie: {cookies:?}"
        );
        let left = hours_left(expiry().await);
        assert!(
            left > 11.9,
            "{backend:?}: renewed in full by /api/me, {left:.2} h left"
        );
        // An expired session stays expired: renewal never revives it.
        store
            .renew_session(&hash, chrono::Utc::now() - chrono::Duration::seconds(1))
            .await
            .unwrap();
        let (s, _) = app.get_json_as(&token, "/api/me").await;
        assert_eq!(s, 401, "{backend:?}: an expired session is refused");
        assert!(
            store.session(&hash).await.unwrap().is_none(),
            "{backend:?}: and not revived"
        );
        app.stop().await;
    }
}
