"""The 400 answer (handler400), in Chinese, naming what could not be received.

Django's multipart parser refuses a file part whose headers pass 1,024 bytes, and its file
name is in those headers: a name of about 300 汉字 (3 bytes each) or 900 letters is refused
before any view runs (CSRF reads the form first), as a bare 400. Here the page says that the
file name is too long and for which field: a view that takes an upload names its file field
in `upload_label`.
"""

from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.views import defaults

#: Django's limit on one part's headers (django.http.multipartparser.MAX_TOTAL_HEADER_SIZE),
#: less the rest of the Content-Disposition and Content-Type lines, in 汉字 of 3 bytes.
NAME_MAX_HANZI = 300


def upload_label(request) -> str:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "上传的文件"
    return getattr(match.func, "upload_label", "上传的文件")


def bad_request(request, exception=None):
    if isinstance(exception, MultiPartParserError) and "header size" in str(exception):
        message = (
            f"{upload_label(request)}：文件名过长（超过约 {NAME_MAX_HANZI} 个汉字），"
            "系统无法接收。请把文件改成较短的名字，返回上一页重新上传。"
        )
        context = {"heading": "未上传", "status": 400, "message": message}
        return render(request, "error.html", context, status=400)
    return defaults.bad_request(request, exception)
