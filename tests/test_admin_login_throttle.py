def test_admin_login_throttled_after_rate_with_retry_after(client, db, settings):
    settings.ADMIN_LOGIN_THROTTLE_RATE = "3/hour"
    attempts = [client.post("/admin/login/", {"username": "x", "password": "wrong"}).status_code for _ in range(3)]

    response = client.post("/admin/login/", {"username": "x", "password": "wrong"})

    assert attempts == [200, 200, 200]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600


def test_admin_login_page_get_not_throttled(client, db, settings):
    settings.ADMIN_LOGIN_THROTTLE_RATE = "1/hour"

    statuses = {client.get("/admin/login/").status_code for _ in range(3)}

    assert statuses == {200}
