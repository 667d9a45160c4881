from django.core.management.base import BaseCommand

from shanghai_experts.reference import load_recommenders


class Command(BaseCommand):
    help = "载入市人社局、各区人社局和委办局（参与机构名录）；可重复运行，不改动申报数据。"

    def handle(self, *args, **options):
        bodies, created = load_recommenders()
        self.stdout.write(self.style.SUCCESS(f"参与机构 {len(bodies)} 个，新增 {created} 个。"))
