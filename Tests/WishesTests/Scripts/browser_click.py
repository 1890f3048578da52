"""A real browser on the web front: headless Chromium (Debian's package, driven by chromedriver
through Selenium) types a wish, clicks the button, and waits on the wish's page until it is final.

argv[1]: {"url": web base URL, "login": the sign-in link, "wish": text, "command": a command line for the
advanced section's field or null, "screenshot": PNG path}; argv[2] receives
{"state", "page", "text"} as the browser saw them.
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

job = json.load(open(sys.argv[1]))
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)
try:
    # The sign-in link sets the session cookie; its page then moves on to the button by itself.
    driver.get(job["login"])
    deadline = time.time() + 10
    while "/login" in driver.current_url and time.time() < deadline:
        time.sleep(0.1)
    driver.get(job["url"] + "/")
    driver.find_element(By.ID, "wish").send_keys(job["wish"])
    if job.get("command"):
        driver.find_element(By.TAG_NAME, "summary").click()  # the field is hidden until the section opens
        driver.find_element(By.ID, "command").send_keys(job["command"])
    driver.find_element(By.CSS_SELECTOR, "button.wish").click()
    state = None
    deadline = time.time() + 90
    while time.time() < deadline:
        text = driver.find_element(By.TAG_NAME, "body").text
        found = [s for s in ("SUCCEEDED", "FAILED") if s in text]
        if found and "/wishes/" in driver.current_url:
            state = found[0]
            break
        time.sleep(0.5)
        if "/wishes/" in driver.current_url:
            driver.refresh()  # the page refreshes itself too; this keeps the wait short
    driver.save_screenshot(job["screenshot"])
    json.dump({"state": state, "page": driver.current_url, "text": driver.find_element(By.TAG_NAME, "body").text},
              open(sys.argv[2], "w"))
finally:
    driver.quit()
