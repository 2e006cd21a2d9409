"""Camera scanning in Debian's Chromium: a fake camera shows the member's QR code; the checkout
page reads it with html5-qrcode (from npm) and redeems with the bill typed before."""

from __future__ import annotations

import pytest
import segno

from gonghui.benefits.models import Redemption
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 640, 480


def qr_video(path, text: str) -> None:
    """A one-frame Y4M video (Chromium loops it) of ``text`` as a QR code, black on white."""
    qr = segno.make_qr(text, error="m")
    rows = [list(row) for row in qr.matrix]
    border, scale = 4, 10
    size = (len(rows) + 2 * border) * scale
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    luma = bytearray(b"\xff" * (WIDTH * HEIGHT))
    for y in range(size):
        my = y // scale - border
        for x in range(size):
            mx = x // scale - border
            if 0 <= my < len(rows) and 0 <= mx < len(rows) and rows[my][mx]:
                luma[(top + y) * WIDTH + left + x] = 0
    chroma = b"\x80" * (WIDTH * HEIGHT // 4)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        f.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


def test_camera_reads_the_members_qr_code(browser, live_server, shop, tmp_path):
    video = tmp_path / "qr.y4m"
    code = shop.code()
    qr_video(video, code)
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(
            locale="zh-CN", viewport={"width": 800, "height": 1000}
        )
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.set_default_timeout(20000)
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{live_server.url}/pos/")  # localhost: a secure context, the camera may run
        page.fill("[data-testid=pos-key]", shop.key)
        page.click("[data-testid=pos-key-save]")
        page.wait_for_selector("[data-testid=pos-bill]", state="visible")
        page.fill("[data-testid=pos-bill]", "60")
        page.click("[data-testid=pos-camera-toggle]")
        page.wait_for_selector("[data-testid=pos-result][data-state=ok]", timeout=30000)
        assert page.input_value("[data-testid=pos-code]") == ""  # redeemed, the form is cleared
        red = Redemption.objects.get()
        assert red.bill_fen == 6000 and red.member_id == shop.member.pk
        assert page.inner_text("[data-testid=pos-fact-discount]") == "¥12.00"
        page.wait_for_selector("[data-testid=pos-camera]", state="hidden")  # the camera stops
        assert not problems, problems
    finally:
        camera_browser.close()
