import datetime

from django.contrib.auth.models import User

from projects.models import Project, StatusChange
from projects.recovery import deleted_projects
from tests import factories


def _deleted_project(vocab):
    project = factories.make_project(
        slug="kohala-hydropower", name="Kohala Hydropower", corridor=vocab["corridors"]["green"]
    )
    factories.add_status(project, "mou", datetime.date(2016, 1, 1))
    project.delete()
    return deleted_projects()[0]


def test_admin_recover_deleted_project_restores_it_with_history(client, editor, vocab):
    deleted = _deleted_project(vocab)
    client.force_login(editor)

    listing = client.get("/admin/projects/project/recover-deleted/")
    response = client.post("/admin/projects/project/recover-deleted/", {"history_id": deleted.history_id})

    restored = Project.objects.get(slug="kohala-hydropower")
    assert "Kohala Hydropower" in listing.content.decode()
    assert response.status_code == 302
    assert restored.status == "mou"
    assert StatusChange.objects.filter(project=restored).count() == 1


def test_admin_recover_refuses_taken_slug_with_message(client, editor, vocab):
    deleted = _deleted_project(vocab)
    factories.make_project(slug="kohala-hydropower", corridor=vocab["corridors"]["green"])
    client.force_login(editor)

    response = client.post("/admin/projects/project/recover-deleted/", {"history_id": deleted.history_id}, follow=True)

    assert response.status_code == 200
    assert "kohala-hydropower" in response.content.decode()
    assert Project.objects.filter(slug="kohala-hydropower").count() == 1


def test_admin_recover_needs_add_permission(client, vocab):
    _deleted_project(vocab)
    user = User.objects.create_user("viewer", password="x-viewer-password", is_staff=True)
    client.force_login(user)

    response = client.get("/admin/projects/project/recover-deleted/")

    assert response.status_code == 403


def test_admin_project_changelist_links_to_recovery(client, editor, vocab):
    client.force_login(editor)

    response = client.get("/admin/projects/project/")

    assert "/admin/projects/project/recover-deleted/" in response.content.decode()
