from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from requests_app import selectors


@login_required
def request_list(request):
    return render(request, "requests_app/list.html", {"cases": selectors.my_requests(request.user)})
