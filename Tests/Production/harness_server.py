"""The base of the harness's HTTP servers (TLS front, container agent, Runtime API): threaded, and
keeping the errors a test must see while ignoring a client that hangs up."""
import ssl
import sys
import traceback
from http.server import ThreadingHTTPServer


class HarnessServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    errors = ()

    def handle_error(self, request, client_address):
        # A client that hangs up (a binary stopping) is no error of the server's; anything else is kept.
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError, ssl.SSLError)):
            self.errors = (*self.errors, f"{type(self).__name__}: {traceback.format_exc()[-1500:]}")
