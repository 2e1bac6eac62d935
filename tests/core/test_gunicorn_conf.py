"""The server's settings: each worker freezes its start-up objects out of the collector's sight."""
import gc

from fupin import gunicorn_conf


def test_a_worker_loads_the_site_and_freezes_it():
    gc.unfreeze()
    try:
        gunicorn_conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert gunicorn_conf.worker_class == "gthread" and gunicorn_conf.workers >= 1 and gunicorn_conf.keepalive
